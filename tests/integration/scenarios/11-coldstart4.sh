#!/usr/bin/env bash
# Scenario 11: scenario 10 with four nodes (cold boot of all daemons, a node restarted, a reload that changes expected votes).
export QDI_COLD_NODES=4 QDI_COLD_NAME=11-coldstart4
exec bash "$(dirname "${BASH_SOURCE[0]}")/10-coldstart.sh"
