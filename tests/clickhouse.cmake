# tests/clickhouse.cmake: the ClickHouse store (docs/CLICKHOUSE.md) against private servers on loopback (tests/clickhouse/lib_ch.sh);
# label "clickhouse"; skip (77) only where clickhouse-server is not installed.
set(NETTAPE_CH_TEST_DIR ${CMAKE_CURRENT_SOURCE_DIR}/clickhouse)
if(NETTAPE_HAVE_CLICKHOUSE)
  foreach(t report_same errors fleet_queries follow)
    add_test(NAME clickhouse.${t}
      COMMAND bash ${NETTAPE_CH_TEST_DIR}/${t}.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
              ${CMAKE_CURRENT_BINARY_DIR}/clickhouse-${t})
    set_tests_properties(clickhouse.${t} PROPERTIES LABELS "clickhouse" SKIP_RETURN_CODE 77 TIMEOUT 300)
  endforeach()
endif()

# docs/CLICKHOUSE.md is checked against the one schema definition (needs no server).
add_executable(ch_schema_doc ${NETTAPE_CH_TEST_DIR}/ch_schema_doc.c)
target_link_libraries(ch_schema_doc PRIVATE nettape_analyzer nettape_warnings)
add_test(NAME clickhouse.schema_doc
  COMMAND sh ${NETTAPE_CH_TEST_DIR}/schema_doc.sh $<TARGET_FILE:ch_schema_doc> ${CMAKE_SOURCE_DIR}/docs/CLICKHOUSE.md
          ${CMAKE_CURRENT_BINARY_DIR}/clickhouse-schema_doc)
set_tests_properties(clickhouse.schema_doc PROPERTIES LABELS "unit;clickhouse")

if(NETTAPE_HAVE_CLICKHOUSE)
  add_test(NAME clickhouse.distributed
    COMMAND bash ${NETTAPE_CH_TEST_DIR}/distributed.sh $<TARGET_FILE:nettape> $<TARGET_FILE:nettape-synth>
            ${CMAKE_CURRENT_BINARY_DIR}/clickhouse-distributed)
  set_tests_properties(clickhouse.distributed PROPERTIES LABELS "clickhouse" SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()
