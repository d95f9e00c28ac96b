# Hardening (docs/hardening.md).
#
# Fuzz targets (tests/fuzz/fuzz_<t>.c): each is built with the regular
# compiler into fuzz_replay_<t> (tests/fuzz/replay.c), and ctest replays
# every seed (the project's own files + tests/fuzz/seeds/<t>) and every
# saved crash input (tests/fuzz/regressions/<t>) through it.  With
# -DALC_FUZZ=ON (clang; tests/fuzz/run.sh) the libFuzzer binaries
# fuzz_<t> are built as well.
option(ALC_FUZZ "Build the libFuzzer targets (needs clang)" OFF)
set(ALC_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
set(ALC_FUZZ_INPUTS_dsl ${PROJECT_SOURCE_DIR}/strategies ${CMAKE_CURRENT_SOURCE_DIR}/conformance/strategies)
set(ALC_FUZZ_INPUTS_job ${PROJECT_SOURCE_DIR}/jobs)
set(ALC_FUZZ_INPUTS_csv ${CMAKE_CURRENT_SOURCE_DIR}/conformance/market)
foreach(t dsl job csv)
  add_executable(fuzz_replay_${t} ${ALC_FUZZ_DIR}/replay.c ${ALC_FUZZ_DIR}/fuzz_${t}.c)
  target_include_directories(fuzz_replay_${t} PRIVATE ${PROJECT_SOURCE_DIR}/src ${ALC_FUZZ_DIR})
  target_compile_options(fuzz_replay_${t} PRIVATE ${ALC_WARNINGS})
  target_link_libraries(fuzz_replay_${t} PRIVATE alchemiser_core)
  add_test(NAME fuzz_replay_${t}
    COMMAND fuzz_replay_${t} ${ALC_FUZZ_INPUTS_${t}} ${ALC_FUZZ_DIR}/seeds/${t}
            ${ALC_FUZZ_DIR}/regressions/${t})
  set_tests_properties(fuzz_replay_${t} PROPERTIES TIMEOUT 300 LABELS hardening)
  if(ALC_FUZZ)
    add_executable(fuzz_${t} ${ALC_FUZZ_DIR}/fuzz_${t}.c)
    target_include_directories(fuzz_${t} PRIVATE ${PROJECT_SOURCE_DIR}/src ${ALC_FUZZ_DIR})
    target_link_libraries(fuzz_${t} PRIVATE alchemiser_core)
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
  endif()
endforeach()

# End-to-end hardening checks through the executable (tests/hardening_tests.sh):
# hostile files and path rules (cli), valgrind memcheck of eval/check/data and
# of backtest under mpirun np 1 and 2 (valgrind).
if(MPIEXEC_EXECUTABLE)
  foreach(case cli valgrind)
    add_test(NAME hardening_${case}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/hardening_tests.sh ${case}
              $<TARGET_FILE:alchemiser> ${MPIEXEC_EXECUTABLE} ${PROJECT_SOURCE_DIR}
              ${CMAKE_CURRENT_BINARY_DIR}/hardening_tmp/${case})
    set_tests_properties(hardening_${case} PROPERTIES TIMEOUT 300 LABELS hardening
                         RESOURCE_LOCK alc_mpirun)
  endforeach()
endif()
