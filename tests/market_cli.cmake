# `alchemiser data ...` end to end: exit codes, messages, import/synth/info.
add_test(NAME market_cli
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/market_cli.sh $<TARGET_FILE:alchemiser>
          ${CMAKE_CURRENT_BINARY_DIR}/market_cli_tmp)
