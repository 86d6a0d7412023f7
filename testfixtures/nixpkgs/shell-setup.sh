# $stdenv/setup for mkShell: nix-shell sources it. As nixpkgs' setup does
# for buildInputs, each package's bin goes first on PATH, and runHook runs
# the shellHook nix-shell asks for.
for p in $packages; do
	if [ -d "$p/bin" ]; then PATH="$p/bin:$PATH"; fi
done
export PATH
runHook() {
	eval "${!1:-}"
}
