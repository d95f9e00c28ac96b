# Faults end to end (tests/faults_tests.sh): resume after FAILED, TIMEOUT and
# a dead worker (byte-identical to an uninterrupted run), resume of a
# COMPLETED session, refusals, rerun, on_strategy_failure, sessions list/prune.
find_program(ALC_H5DUMP h5dump)
if(NOT MPIEXEC_EXECUTABLE OR NOT ALC_H5DUMP)
  message(WARNING "mpiexec or h5dump missing: faults tests disabled")
else()
  foreach(case resume_failed resume_timeout resume_dead rerun policy sessions valgrind)
    add_test(NAME faults_${case}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/faults_tests.sh ${case}
              $<TARGET_FILE:alchemiser> ${MPIEXEC_EXECUTABLE} ${PROJECT_SOURCE_DIR}
              ${CMAKE_CURRENT_BINARY_DIR}/faults_tmp/${case})
    # mpirun jobs oversubscribe the cores already: never two at once.
    set_tests_properties(faults_${case} PROPERTIES TIMEOUT 180 LABELS "session;faults"
                         RESOURCE_LOCK alc_mpirun SKIP_RETURN_CODE 77)
  endforeach()
endif()
