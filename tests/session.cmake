# The MPI signal session end to end (tests/session_tests.sh): real mpirun,
# np 1..4, byte-identical portfolios, 100 / 1,000 strategies, errors, timeout,
# injected faults (ALC_FAULT), valgrind.
find_program(ALC_H5DUMP h5dump)
if(NOT MPIEXEC_EXECUTABLE OR NOT ALC_H5DUMP)
  message(WARNING "mpiexec or h5dump missing: session tests disabled")
else()
  foreach(case determinism hundred thousand errors timeout daily faults valgrind)
    add_test(NAME session_${case}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/session_tests.sh ${case}
              $<TARGET_FILE:alchemiser> ${MPIEXEC_EXECUTABLE} ${PROJECT_SOURCE_DIR}
              ${CMAKE_CURRENT_BINARY_DIR}/session_tmp/${case})
    # mpirun jobs oversubscribe the cores already: never two at once.
    set_tests_properties(session_${case} PROPERTIES TIMEOUT 120 LABELS session
                         RESOURCE_LOCK alc_mpirun SKIP_RETURN_CODE 77)
  endforeach()
endif()
