# tests/snippets.cmake: issue 5, recorder half: unit tests of triggers, retention and packet snippets; a live snippet test in two namespaces.
set(NT_SNIP_REC ${CMAKE_SOURCE_DIR}/recorder)
set(NT_SNIP_TESTS ${CMAKE_CURRENT_SOURCE_DIR}/recorder_unit)

# The test programs compile the recorder sources they need directly.
add_executable(test_trigger ${NT_SNIP_TESTS}/test_trigger.c ${NT_SNIP_REC}/trigger.c)
add_executable(test_retention ${NT_SNIP_TESTS}/test_retention.c ${NT_SNIP_REC}/retention.c
  ${NT_SNIP_REC}/trigger.c ${NT_SNIP_REC}/budget.c ${NT_SNIP_REC}/util.c ${NT_SNIP_REC}/log.c)
add_executable(test_snippet ${NT_SNIP_TESTS}/test_snippet.c ${NT_SNIP_REC}/snippet.c
  ${NT_SNIP_REC}/trigger.c)
add_executable(snip_live ${NT_SNIP_TESTS}/snip_live.c ${NT_SNIP_REC}/snippet.c
  ${NT_SNIP_REC}/trigger.c)
foreach(t test_trigger test_retention test_snippet snip_live)
  target_include_directories(${t} PRIVATE ${NT_SNIP_REC} ${NT_SNIP_TESTS})
  target_link_libraries(${t} PRIVATE nettape_format PkgConfig::PCAP nettape_warnings)
endforeach()

# budget.h has budget__unpin: test that a pin giving way really frees its chunks.
target_compile_definitions(test_retention PRIVATE NT_HAVE_BUDGET_UNPIN)

foreach(t test_trigger test_retention test_snippet)
  add_test(NAME recorder_unit_${t} COMMAND ${t})
  set_tests_properties(recorder_unit_${t} PROPERTIES LABELS "unit;recorder;snippets" TIMEOUT 120)
endforeach()

# Live: two namespaces (ntsnip-*), a veth, two connections, one manual fire.
# Needs root; skipped (77) otherwise.
add_test(NAME recorder_snippets_live
  COMMAND ${NT_SNIP_TESTS}/snip_live.sh $<TARGET_FILE:snip_live>)
set_tests_properties(recorder_snippets_live PROPERTIES LABELS "e2e;recorder;snippets"
  SKIP_RETURN_CODE 77 TIMEOUT 120 RUN_SERIAL TRUE)
