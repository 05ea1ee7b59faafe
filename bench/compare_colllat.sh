#!/bin/sh
# compare_colllat.sh MPIEXEC C_BINARY PYTHON_MPI SCRIPT: the two 2-rank runs side by side.
set -e
mpiexec=$1 cbin=$2 pympi=$3 script=$4
tmp=${TMPDIR:-/tmp}/colllat.$$
nbytes=$("$pympi" -c 'import pickle; print(len(pickle.dumps([1, 2.0, "three"], pickle.HIGHEST_PROTOCOL)))')
"$mpiexec" -n 2 "$cbin" "$nbytes" > "$tmp.c"
"$mpiexec" -n 2 "$pympi" "$script" > "$tmp.py"
echo "small collectives, 2 ranks, time per call (best of 5)"
printf '%-24s %9s %11s %7s\n' case "C us" "Python us" ratio
paste "$tmp.c" "$tmp.py" | awk -F "\t" '{ printf "%-24s %9.2f %11.2f %7.2f\n", $1, $2, $4, $4 / $2 }'
rm -f "$tmp.c" "$tmp.py"
