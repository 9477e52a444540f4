#!/bin/sh
# azd's postprovision hook (azure.yaml), and the way to redeploy the code by hand:
#   sh scripts/deploy.sh [--dry-run] [--skip-build] [--steps build,package,publish,web,triggers]
# Outside azd, export the outputs first: eval "$(azd env get-values)"
set -eu
cd "$(dirname "$0")/.."
npx tsc -p scripts/tsconfig.json
node dist/deploy-tools/scripts/deploy.js "$@"
