# tests/recorder.cmake: recorder tests: unit tests of its helpers, and an e2e smoke test (real kernel, two namespaces).
if(NETTAPE_RECORDER)
  add_executable(unit_recorder ${CMAKE_CURRENT_SOURCE_DIR}/recorder/unit_recorder.c
    ${CMAKE_SOURCE_DIR}/recorder/util.c ${CMAKE_SOURCE_DIR}/recorder/kmeta.c
    ${CMAKE_SOURCE_DIR}/recorder/decode.c ${CMAKE_SOURCE_DIR}/recorder/log.c)
  target_include_directories(unit_recorder PRIVATE ${CMAKE_SOURCE_DIR}/recorder ${CMAKE_SOURCE_DIR}/bpf)
  target_link_libraries(unit_recorder PRIVATE nettape_format PkgConfig::LIBBPF nettape_warnings)
  add_test(NAME recorder_unit COMMAND unit_recorder)
  set_tests_properties(recorder_unit PROPERTIES LABELS "unit;recorder")

  add_test(NAME recorder_smoke
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/recorder/smoke.sh $<TARGET_FILE:nettape-record>
            $<TARGET_FILE:nt-tape-dump>)
  set_tests_properties(recorder_smoke PROPERTIES LABELS "e2e;recorder" SKIP_RETURN_CODE 77
    TIMEOUT 120 RUN_SERIAL TRUE)
endif()
