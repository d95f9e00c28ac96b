# slurm/ scripts on a real one-node Slurm cluster on localhost
# (tests/slurm_tests.sh; the cluster: slurm/ci/slurm-up.sh, slurm-down.sh).
# slurm_calc needs no Slurm.  The others need root and the Debian packages
# slurm-wlm and munge (src/scripts/install-deps.sh installs them in CI, the
# test installs them when missing): without them they say so and are
# skipped (77), except with CI=true, where they fail.
if(NOT MPIEXEC_EXECUTABLE)
  message(WARNING "mpiexec missing: slurm tests disabled")
else()
  foreach(case calc daily fail bench schedule)
    add_test(NAME slurm_${case}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/slurm_tests.sh ${case}
              $<TARGET_FILE:alchemiser> ${MPIEXEC_EXECUTABLE} ${PROJECT_SOURCE_DIR}
              ${CMAKE_CURRENT_BINARY_DIR}/slurm_tmp/${case})
    set_tests_properties(slurm_${case} PROPERTIES TIMEOUT 300 LABELS slurm
                         SKIP_RETURN_CODE 77)
    if(NOT case STREQUAL calc)
      # one cluster per machine (the script also holds a flock across build
      # trees); its MPI ranks oversubscribe the cores like the session tests
      set_tests_properties(slurm_${case} PROPERTIES RESOURCE_LOCK "alc_slurm;alc_mpirun")
    endif()
  endforeach()
endif()
