# tests/systemd.cmake: the systemd units nettape installs pass `systemd-analyze verify` (skipped, 77, where systemd-analyze is missing).
set(NETTAPE_VERIFY_UNITS ${CMAKE_BINARY_DIR}/analyzer/nettape-ship.service=$<TARGET_FILE:nettape>)
if(TARGET nettape-record)
  list(APPEND NETTAPE_VERIFY_UNITS ${CMAKE_BINARY_DIR}/recorder/nettape-record.service=$<TARGET_FILE:nettape-record>)
endif()
add_test(NAME systemd.verify_units
  COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/systemd/verify_units.sh ${CMAKE_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/systemd-verify_units ${NETTAPE_VERIFY_UNITS})
set_tests_properties(systemd.verify_units PROPERTIES LABELS "unit;systemd" SKIP_RETURN_CODE 77 TIMEOUT 60)
