# tests/e2e.cmake: the traffic tool, scenario checks and recorder end-to-end tests (label e2e).
add_executable(nt-traffic ${CMAKE_CURRENT_SOURCE_DIR}/tools/nt_traffic.c)
target_link_libraries(nt-traffic PRIVATE nettape_warnings m)

# The scenarios alone (no recorder): each must move the kernel counters it promises.
foreach(sc zero-window listen-overflow firewall-loss rto reset queue-jitter window-scaling healthy-bulk
    lb-chain containers listen-storm)
  add_test(NAME scenario.${sc} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/scenario_check.sh ${sc})
  set_tests_properties(scenario.${sc} PROPERTIES LABELS "scenario" TIMEOUT 120 SKIP_RETURN_CODE 77
    RUN_SERIAL TRUE
    ENVIRONMENT "NT_TRAFFIC=$<TARGET_FILE:nt-traffic>;NT_SCENARIOS=${CMAKE_SOURCE_DIR}/scenarios")
endforeach()

# Recorder end-to-end tests: real traffic in network namespaces (scenarios/),
# recorded by nettape-record, read back with 'nettape replay --json' and
# compared with kernel oracles. Root and kernel BTF needed (else exit 77 = skip).
if(TARGET nettape-record)
  function(nettape_e2e name timeout)
    add_test(NAME e2e.${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/${name}.sh)
    set_tests_properties(e2e.${name} PROPERTIES LABELS "e2e" TIMEOUT ${timeout} SKIP_RETURN_CODE 77
      RUN_SERIAL TRUE
      ENVIRONMENT "NETTAPE=$<TARGET_FILE:nettape>;NETTAPE_RECORD=$<TARGET_FILE:nettape-record>;NT_TRAFFIC=$<TARGET_FILE:nt-traffic>;NT_SCENARIOS=${CMAKE_SOURCE_DIR}/scenarios")
  endfunction()
  nettape_e2e(zero_window 120)
  nettape_e2e(window_scaling 150)
  nettape_e2e(listen_overflow 150)
  nettape_e2e(netfilter_loss 120)
  nettape_e2e(rto 120)
  nettape_e2e(rtt_spike 150)
  nettape_e2e(reset 120)
  nettape_e2e(kill9 150)
  nettape_e2e(max_disk 150)
  nettape_e2e(healthy_bulk 120)
  nettape_e2e(snippets 150)
  nettape_e2e(retention 150)
  nettape_e2e(multihost 180)
endif()
