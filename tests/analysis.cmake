# Session analysis (tests/analysis_tests.sh): real sessions under mpirun, then
# `alchemiser inspect` / `alchemiser diff` and src/analysis/alchemiser_analysis.py
# (with /usr/bin/python3: python3-h5py, python3-pandas, python3-matplotlib) on
# the snapshots, .partial snapshots and backtest files they wrote.
if(NOT MPIEXEC_EXECUTABLE)
  message(WARNING "mpiexec missing: analysis tests disabled")
else()
  foreach(case inspect failed partial badfiles diff plots valgrind)
    add_test(NAME analysis_${case}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/analysis_tests.sh ${case}
              $<TARGET_FILE:alchemiser> ${MPIEXEC_EXECUTABLE} ${PROJECT_SOURCE_DIR}
              ${CMAKE_CURRENT_BINARY_DIR}/analysis_tmp/${case})
    set_tests_properties(analysis_${case} PROPERTIES TIMEOUT 180 LABELS analysis
                         RESOURCE_LOCK alc_mpirun SKIP_RETURN_CODE 77)
  endforeach()
endif()
