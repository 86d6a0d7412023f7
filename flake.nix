{
  description = "machnix: Python environments from a machnix.lock, built by Nix (mach-nix's interface)";

  # Follow it from your flake (inputs.machnix.inputs.nixpkgs.follows =
  # "nixpkgs") to build with your nixpkgs.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);
    in
    {
      # The library for each system: lib.<system>.mkPython { lock = ./machnix.lock; } and
      # its siblings (see README.md, "From Nix").
      lib = forAllSystems (system: import ./nix { pkgs = nixpkgs.legacyPackages.${system}; });

      templates.default = {
        path = ./templates/default;
        description = "A Python project built from its machnix.lock: packages.default is the environment, devShells.default its shell";
      };
    };
}
