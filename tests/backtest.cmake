# alchemiser backtest end to end (tests/backtest_tests.sh): real mpirun.
if(MPIEXEC_EXECUTABLE)
  foreach(case determinism file consistency errors)
    add_test(NAME backtest_${case}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/backtest_tests.sh ${case}
              $<TARGET_FILE:alchemiser> ${MPIEXEC_EXECUTABLE} ${PROJECT_SOURCE_DIR}
              ${CMAKE_CURRENT_BINARY_DIR}/backtest_tmp/${case})
    set_tests_properties(backtest_${case} PROPERTIES TIMEOUT 180 LABELS backtest RESOURCE_LOCK alc_mpirun)
  endforeach()
endif()
