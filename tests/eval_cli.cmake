# `alchemiser eval` and `alchemiser check` end to end (issue 2).
add_test(NAME eval_cli
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/eval_cli.sh $<TARGET_FILE:alchemiser>
          ${CMAKE_CURRENT_BINARY_DIR}/eval_cli_tmp)
