#!/usr/bin/env pwsh
# QueryLab's main job. Thin on purpose: every step lives in the `querylab` command line, so this
# script, CI and a laptop run exactly the same thing. With no arguments it runs the whole pipeline
# (`querylab run`: server, migrate, seed, verify, bench, profile, report); any arguments are passed to
# `querylab` as they are, e.g. `./run.ps1 seed --scale tiny` or `./run.ps1 server status`.
$ErrorActionPreference = 'Stop'
$project = Join-Path $PSScriptRoot 'bench/QueryLab.Bench/QueryLab.Bench.csproj'
$arguments = @(if ($args.Count -eq 0) { 'run' } else { $args })
dotnet build $project --configuration Release --nologo --verbosity quiet
if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
dotnet run --project $project --configuration Release --no-build -- @arguments
exit $LASTEXITCODE
