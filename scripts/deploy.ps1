# azd's postprovision hook on Windows (azure.yaml); the same as scripts/deploy.sh.
$ErrorActionPreference = 'Stop'
Set-Location (Join-Path $PSScriptRoot '..')
npx tsc -p scripts/tsconfig.json
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
node dist/deploy-tools/scripts/deploy.js @args
exit $LASTEXITCODE
