#!/bin/sh
# Rewrites the reports in docs/audit/ from the real `pwnbox audit` output (the test that checks
# them, it_audit_test AuditDocs.ReportsMatchTheRealOutput, writes them in this mode).
# Usage: docs/audit/update.sh [BUILD_DIR]   (default: build)
set -e
cd "$(dirname "$0")/../.."
PWNBOX_UPDATE_AUDIT_DOCS=1 "${1:-build}/tests/it_audit_test" --gtest_filter='AuditDocs.ReportsMatchTheRealOutput'
