# The benchmark driver (bench/run.sh --smoke): real mpirun sessions, the
# snapshot metrics it reads, its JSON result (tests/bench_tests.sh).
if(MPIEXEC_EXECUTABLE)
  add_test(NAME bench_driver
    COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench_tests.sh $<TARGET_FILE_DIR:alchemiser>
            ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/bench_tmp)
  set_tests_properties(bench_driver PROPERTIES TIMEOUT 180 LABELS bench RESOURCE_LOCK alc_mpirun
                       SKIP_RETURN_CODE 77)
endif()
