# bench/recorder.cmake: `cmake --build B --target bench_recorder` runs bench/bench_recorder.sh (root; not part of ctest); probe_floor, the empty tcp_probe program it measures as the floor.
if(NETTAPE_RECORDER)
  include(BpfObject)
  bpf_object(probe_floor ${CMAKE_CURRENT_SOURCE_DIR}/floor/probe_floor.bpf.c)
  add_executable(probe_floor ${CMAKE_CURRENT_SOURCE_DIR}/floor/probe_floor.c)
  target_link_libraries(probe_floor PRIVATE probe_floor_skel PkgConfig::LIBBPF nettape_warnings)
  add_custom_target(bench_recorder
    COMMAND ${CMAKE_COMMAND} -E env PROBE_FLOOR=$<TARGET_FILE:probe_floor>
            ${CMAKE_CURRENT_SOURCE_DIR}/bench_recorder.sh $<TARGET_FILE:nettape-record>
    DEPENDS nettape-record probe_floor
    USES_TERMINAL
    COMMENT "nettape-record vs tcpdump, trace-cmd and perf on an iperf3 transfer between namespaces")
endif()
