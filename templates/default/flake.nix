{
  description = "A Python environment from machnix.lock";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";
  inputs.machnix.url = "github:machnix/machnix";
  inputs.machnix.inputs.nixpkgs.follows = "nixpkgs";

  outputs = { self, nixpkgs, machnix }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAllSystems = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);
      # machnix resolve -r requirements.txt writes machnix.lock; commit it
      # (in a git repository a flake sees tracked files only).
      args = { lock = ./machnix.lock; };
    in
    {
      # nix build: the environment (result/bin/python).
      packages = forAllSystems (system: { default = machnix.lib.${system}.mkPython args; });
      # nix develop: a shell with the environment's python on PATH.
      devShells = forAllSystems (system: { default = machnix.lib.${system}.mkPythonShell args; });
    };
}
