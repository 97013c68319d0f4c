# Shared by the bench/ scripts: building the quorum-core reference and small helpers.
# Source it after setting ROOT (the repository) and TD (the cargo target directory).

SHARED="${QC_SHARED:-$ROOT/../shared}"
REF_SRC="$SHARED/bench/quorum-core/ref"

# build_ref: copies the reference (shared/ is read-only in CI) into the target directory and
# builds it in release mode; sets REF_BIN.
build_ref() {
    if [[ ! -f "$REF_SRC/Cargo.toml" ]]; then
        echo "bench: reference not found at $REF_SRC (set QC_SHARED)" >&2
        exit 2
    fi
    local dir="$TD/bench/quorum-core-ref"
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$REF_SRC" && tar --exclude=./target -cf - .) | (cd "$dir" && tar xf -)
    echo "building reference (copy in ${dir#"$ROOT"/}) ..." >&2
    # (-A warnings: the reference has an unused-method warning that is not ours to fix.)
    RUSTFLAGS="${RUSTFLAGS:-} -A warnings" \
        cargo build --quiet --release --manifest-path "$dir/Cargo.toml" --target-dir "$dir/target"
    REF_BIN="$dir/target/release/quorum-fast"
}

# field NAME JSON -> the value of a numeric field of a one-line JSON object.
field() {
    sed -E "s/.*\"$1\":(-?[0-9.eE+-]+|null|NaN).*/\1/" <<<"$2"
}

# median: the median of the numbers on stdin (whitespace separated).
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
