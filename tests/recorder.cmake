# tests/recorder.cmake: tests of nettape-record (tests/recorder/): unit tests of its helpers, options, triggers, retention and packet snippets; a live snippet test and an e2e smoke test (real kernel, two namespaces).
set(NT_REC_SRC ${CMAKE_SOURCE_DIR}/recorder)
set(NT_REC_TESTS ${CMAKE_CURRENT_SOURCE_DIR}/recorder)

# The test programs compile the recorder sources they need directly (the recorder is no library).
add_executable(test_trigger ${NT_REC_TESTS}/test_trigger.c ${NT_REC_SRC}/trigger.c)
add_executable(test_retention ${NT_REC_TESTS}/test_retention.c ${NT_REC_SRC}/retention.c
  ${NT_REC_SRC}/trigger.c ${NT_REC_SRC}/budget.c ${NT_REC_SRC}/util.c ${NT_REC_SRC}/log.c)
add_executable(test_snippet ${NT_REC_TESTS}/test_snippet.c ${NT_REC_SRC}/snippet.c
  ${NT_REC_SRC}/trigger.c)
add_executable(snip_live ${NT_REC_TESTS}/snip_live.c ${NT_REC_SRC}/snippet.c
  ${NT_REC_SRC}/trigger.c)
foreach(t test_trigger test_retention test_snippet snip_live)
  target_include_directories(${t} PRIVATE ${NT_REC_SRC} ${NT_REC_TESTS})
  target_link_libraries(${t} PRIVATE nettape_format PkgConfig::PCAP nettape_warnings)
endforeach()

# budget.h has budget__unpin: test that a pin giving way really frees its chunks.
target_compile_definitions(test_retention PRIVATE NT_HAVE_BUDGET_UNPIN)

foreach(t test_trigger test_retention test_snippet)
  add_test(NAME recorder_unit_${t} COMMAND ${t})
  set_tests_properties(recorder_unit_${t} PROPERTIES LABELS "unit;recorder;snippets" TIMEOUT 120)
endforeach()

# options.c: parsing and resolving the command line (no kernel, no BPF: label "unit" only).
add_executable(test_options ${NT_REC_TESTS}/test_options.c ${NT_REC_SRC}/options.c ${NT_REC_SRC}/decode.c
  ${NT_REC_SRC}/trigger.c ${NT_REC_SRC}/util.c ${NT_REC_SRC}/log.c)
target_include_directories(test_options PRIVATE ${NT_REC_SRC} ${CMAKE_SOURCE_DIR}/bpf)
target_link_libraries(test_options PRIVATE nettape_format nettape_warnings)
add_test(NAME recorder_unit_test_options COMMAND test_options)
set_tests_properties(recorder_unit_test_options PROPERTIES LABELS "unit")

# Live: two namespaces (ntsnip-*), a veth, two connections, one manual fire.
# Needs root; skipped (77) otherwise.
add_test(NAME recorder_snippets_live
  COMMAND ${NT_REC_TESTS}/snip_live.sh $<TARGET_FILE:snip_live>)
set_tests_properties(recorder_snippets_live PROPERTIES LABELS "e2e;recorder;snippets"
  SKIP_RETURN_CODE 77 TIMEOUT 120 RUN_SERIAL TRUE)

if(NETTAPE_RECORDER)
  add_executable(unit_recorder ${NT_REC_TESTS}/unit_recorder.c
    ${NT_REC_SRC}/util.c ${NT_REC_SRC}/kmeta.c ${NT_REC_SRC}/decode.c ${NT_REC_SRC}/log.c)
  target_include_directories(unit_recorder PRIVATE ${NT_REC_SRC} ${CMAKE_SOURCE_DIR}/bpf)
  target_link_libraries(unit_recorder PRIVATE nettape_format PkgConfig::LIBBPF nettape_warnings)
  add_test(NAME recorder_unit COMMAND unit_recorder)
  set_tests_properties(recorder_unit PROPERTIES LABELS "unit;recorder")

  add_test(NAME recorder_smoke
    COMMAND ${NT_REC_TESTS}/smoke.sh $<TARGET_FILE:nettape-record>
            $<TARGET_FILE:nt-tape-dump>)
  set_tests_properties(recorder_smoke PROPERTIES LABELS "e2e;recorder" SKIP_RETURN_CODE 77
    TIMEOUT 120 RUN_SERIAL TRUE)
endif()
