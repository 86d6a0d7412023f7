# A small stand-in for nixpkgs, for machnix's tests. It offers, with
# nixpkgs' names, only what the tests need; production code never knows it
# is not the real thing. Builders run on the host (Debian's nix-bin has
# sandbox = false), so they may use /bin/sh, cp, ldd and patchelf.
{ system ? builtins.currentSystem, ... }:
let
  hostPath = "/usr/local/bin:/usr/bin:/bin";

  python311 = derivation {
    name = "python3-3.11";
    inherit system;
    builder = "/bin/sh";
    args = [ ./python-builder.sh ];
    PATH = hostPath;
  } // {
    pythonVersion = "3.11";
    sitePackages = "lib/python3.11/site-packages";
    executable = "python3.11";
  };
in
{
  inherit system;
  python3 = python311;
  inherit python311;
}
