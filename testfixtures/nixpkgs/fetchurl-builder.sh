# Fixed-output download. machnix adds verified files to the store with
# nix-store --add-fixed first, so this runs only when that was skipped.
set -eu
curl --fail --silent --show-error --location --output "$out" "$url"
