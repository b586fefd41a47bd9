#!/usr/bin/env bash
# One session on a machine with a CUDA GPU, in the repository root, with the image's python3 (CuPy, torch CUDA):
#   1. the GPU benchmark alone on the card (nadam-ref bench --device gpu);
#   2. the CuPy tests (pytest -m cupy), and beside them
#   3. the paper-size runs of issue 22 (CNN on Fashion-MNIST, LSTM on the King James Bible; adam, nadam, rmsprop,
#      momentum; seeds 5-10, seed by seed), one process per run, stopped at the deadline.
# Everything lands in $OUT: logs, the benchmark's files, the tests' JUnit XML and paper-runs.tar.gz (every
# finished run's results.json). Data: DATA (default .data) holds fashion-mnist/ (the IDX .gz files) and kjv.txt
# (`bible -l100000 gen1:1-rev22:21`), since the machine reaches no network.
#   OUT=/tmp/out BUDGET=480 tools/gpu_session.sh
set -u
OUT=${OUT:?set OUT to the folder for the results}
DATA=${DATA:-.data}
BUDGET=${BUDGET:-480}        # seconds from the start until the paper runs are stopped
PARALLEL=${PARALLEL:-8}      # paper runs at once (each is launch-bound: one CPU core and a slice of the GPU)
PY=${PY:-python3}
start=$(date +%s)
left() { echo $(( BUDGET - ($(date +%s) - start) )); }
export PYTHONPATH=$PWD PYTHONUNBUFFERED=1

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  $PY -c "import cupy, numpy, numba, torch; print('cupy', cupy.__version__, 'numpy', numpy.__version__,
'numba', numba.__version__, 'torch', torch.__version__, 'cuda', torch.cuda.is_available())"
  git rev-parse HEAD 2>/dev/null; git status --short 2>/dev/null | head -20; } > "$OUT/env.txt" 2>&1

echo "== bench ($(left) s left)"
timeout 150 $PY -m nadam_ref bench --device gpu --sizes 1e6,1e7,1e8 --rules adam,nadam --repeats 9 \
    --out "$OUT" > "$OUT/bench.log" 2>&1
echo "bench rc $?"

echo "== paper runs in the background, tests beside them ($(left) s left)"
runs=/tmp/paper-runs
mkdir -p "$runs"
jobs_file=/tmp/paper-jobs.txt
: > "$jobs_file"
for seed in 5 6 7 8 9 10; do
  for rule in adam nadam rmsprop momentum; do
    echo "lstm $rule $seed --epochs 1 --data-dir $DATA/kjv.txt" >> "$jobs_file"
    echo "mnist $rule $seed --epochs 3 --data-dir $DATA/fashion-mnist" >> "$jobs_file"
  done
done
run_one() {  # experiment rule seed extra...
  local exp=$1 rule=$2 seed=$3; shift 3
  NADAM_REF_BACKEND=cupy OMP_NUM_THREADS=1 $PY -m nadam_ref reproduce --experiment "$exp" --scale paper \
      --rules "$rule" --seeds 1 --first-seed "$seed" "$@" --jobs 1 --quiet --out "$runs/$exp-$rule-seed$seed" \
      > "$runs/$exp-$rule-seed$seed.log" 2>&1
  local rc=$?
  echo "$(date +%s) $exp $rule $seed rc $rc" >> "$runs/done.txt"
}
export -f run_one
export PY runs
setsid bash -c "xargs -P $PARALLEL -L 1 bash -c 'run_one \"\$@\"' _ < $jobs_file" > "$OUT/paper-xargs.log" 2>&1 &
paper_pid=$!

timeout 240 $PY -m pytest -o addopts=-ra -m cupy -n 8 -q -p no:cacheprovider --continue-on-collection-errors tests \
    --junitxml="$OUT/cupy-junit.xml" > "$OUT/cupy-tests.log" 2>&1
echo "tests rc $?"

while [ "$(left)" -gt 0 ] && kill -0 $paper_pid 2>/dev/null; do sleep 5; done
kill -- -$paper_pid 2>/dev/null; sleep 2
echo "== stopped the paper runs at $(( $(date +%s) - start )) s"
echo "start $start" >> "$runs/done.txt"
( cd "$runs" && tar czf "$OUT/paper-runs.tar.gz" done.txt ./*.log $(ls -d */results.json */table.md 2>/dev/null) )
cat "$runs/done.txt"
tail -5 "$OUT/cupy-tests.log"
