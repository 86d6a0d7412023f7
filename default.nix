# machnix's Nix library: mkPython, mkPythonShell, mkDockerImage,
# mkNixpkgs, mkOverlay, mkPythonOverrides, buildPythonPackage and
# buildPythonApplication, each built from a machnix.lock. See README.md,
# "From Nix".
{ pkgs ? import <nixpkgs> { } }:
import ./nix { inherit pkgs; }
