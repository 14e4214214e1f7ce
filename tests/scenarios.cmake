# tests/scenarios.cmake: issue 6's scenario tests: each incident scenario recorded, imported and reported; the JSON report must name the right cause, connection and process (labels e2e;scenario).
#
# One test per scenario (tests/scenarios/check_report.sh SCENARIO): it runs
# scenarios/SCENARIO.sh with nettape-record, imports the tape, runs
# 'nettape report --format json' and asserts on the top incident and on the
# scenario's oracle counters. Root and kernel BTF needed (else 77 = skip).
if(TARGET nettape-record)
  foreach(sc window-scaling listen-overflow firewall-loss queue-jitter healthy-bulk)
    add_test(NAME scenario_report.${sc}
      COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/scenarios/check_report.sh ${sc})
    set_tests_properties(scenario_report.${sc} PROPERTIES LABELS "e2e;scenario" TIMEOUT 90
      SKIP_RETURN_CODE 77 RUN_SERIAL TRUE
      ENVIRONMENT "NETTAPE=$<TARGET_FILE:nettape>;NETTAPE_RECORD=$<TARGET_FILE:nettape-record>;NT_TRAFFIC=$<TARGET_FILE:nt-traffic>;NT_SCENARIOS=${CMAKE_SOURCE_DIR}/scenarios")
  endforeach()
endif()
