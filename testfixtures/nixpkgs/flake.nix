# The stand-in nixpkgs as a flake, for tests that point a flake's nixpkgs
# input at it (--override-input nixpkgs path:...): legacyPackages per
# system, as nixpkgs' own flake.nix has them.
{
  outputs = { self }: {
    legacyPackages = builtins.listToAttrs (map (system: { name = system; value = import ./. { inherit system; }; }) [ "x86_64-linux" "aarch64-linux" ]);
  };
}
