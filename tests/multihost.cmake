# tests/multihost.cmake: pairing and clock alignment of several hosts on synthetic tapes (no kernel), and 'nettape retime'.
add_executable(nt-multihost-gentape ${CMAKE_CURRENT_SOURCE_DIR}/multihost/gen_hosts.c)
target_link_libraries(nt-multihost-gentape PRIVATE nettape_format nettape_warnings)
add_test(NAME multihost.cli COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/multihost/multihost_cli.sh)
set_tests_properties(multihost.cli PROPERTIES LABELS "cli" TIMEOUT 120
  ENVIRONMENT "NETTAPE=$<TARGET_FILE:nettape>;GENTAPE=$<TARGET_FILE:nt-multihost-gentape>")
