#!/usr/bin/env bash
# Retrain the shipped NER model into processors/ner/model (about 20-30 min on 2 cores).
# Usage: scripts/train_ner.sh [DATA_DIR] [SEED]   (DATA_DIR defaults to ../shared/data)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
DATA="${1:-$ROOT/../shared/data}"
SEED="${2:-13}"
OUT="$ROOT/processors/ner/model"
rm -f "$OUT"/*.crfsuite "$OUT"/*.tsv.gz "$OUT"/meta.json  # rebuild every artefact from the data
cd "$ROOT"
exec bin/akhbar train ner --data "$DATA" --out "$OUT" --seed "$SEED"
