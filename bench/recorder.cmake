# bench/recorder.cmake: `cmake --build B --target bench_recorder` runs bench/bench_recorder.sh (root; not part of ctest).
if(NETTAPE_RECORDER)
  add_custom_target(bench_recorder
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/bench_recorder.sh $<TARGET_FILE:nettape-record>
    DEPENDS nettape-record
    USES_TERMINAL
    COMMENT "nettape-record vs trace-cmd and perf on an iperf3 transfer between namespaces")
endif()
