# tests/recorder.cmake: smoke test of nettape-record (real kernel, two network namespaces); helper tape_dump.
if(NETTAPE_RECORDER)
  add_executable(tape_dump ${CMAKE_CURRENT_SOURCE_DIR}/recorder/tape_dump.c)
  target_link_libraries(tape_dump PRIVATE nettape_format nettape_warnings)
  add_test(NAME recorder_smoke
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/recorder/smoke.sh $<TARGET_FILE:nettape-record>
            $<TARGET_FILE:tape_dump>)
  set_tests_properties(recorder_smoke PROPERTIES LABELS "e2e;recorder" SKIP_RETURN_CODE 77
    TIMEOUT 120 RUN_SERIAL TRUE)
endif()
