# tests/e2e.cmake: the traffic tool, scenario checks, replay CLI tests and recorder end-to-end tests (label e2e).
add_executable(nt-traffic ${CMAKE_CURRENT_SOURCE_DIR}/tools/nt_traffic.c)
target_link_libraries(nt-traffic PRIVATE nettape_warnings m)

# Replay CLI tests on synthetic tapes written with the format library.
add_executable(nt-replay-gentape ${CMAKE_CURRENT_SOURCE_DIR}/replay/gen_tape.c)
target_link_libraries(nt-replay-gentape PRIVATE nettape_format nettape_warnings)
add_test(NAME replay.cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/replay/replay_test.sh)
set_tests_properties(replay.cli PROPERTIES LABELS "cli;replay" TIMEOUT 120
  ENVIRONMENT "NETTAPE=$<TARGET_FILE:nettape>;GENTAPE=$<TARGET_FILE:nt-replay-gentape>")
