# A small stand-in for nixpkgs, for machnix's tests. It offers, with
# nixpkgs' names and argument conventions, only what the generated
# expressions use; production code never knows it is not the real thing.
# Builders run on the host (Debian's nix-bin has sandbox = false), so they
# may use /bin/sh, cp, ldd, curl and patchelf.
{ system ? builtins.currentSystem, ... }:
let
  hostPath = "/usr/local/bin:/usr/bin:/bin";
  hostTriple = if system == "aarch64-linux" then "aarch64-linux-gnu" else "x86_64-linux-gnu";

  hostLibs = name: libs: derivation {
    inherit name system hostTriple;
    builder = "/bin/sh";
    args = [ ./host-libs-builder.sh ];
    PATH = hostPath;
    libs = builtins.concatStringsSep " " libs;
  };

  # A marker derivation: the wheel builder patches ELF files when it finds
  # this among nativeBuildInputs, as the real setup hook would.
  marker = name: derivation {
    inherit name system;
    builder = "/bin/sh";
    args = [ "-c" "echo ${name} > $out" ];
  };

  fetchurl = { url, hash ? "", sha256 ? "", name ? baseNameOf url }: derivation {
    inherit name system url;
    builder = "/bin/sh";
    args = [ ./fetchurl-builder.sh ];
    PATH = hostPath;
    outputHashMode = "flat";
    outputHashAlgo = "sha256";
    outputHash = if hash != "" then hash else sha256;
  };

  mkPython = basePython: let
    python = basePython // {
      pkgs = pythonPackages;
      withPackages = f: derivation {
        name = "python3-3.11-env";
        inherit system;
        builder = "/bin/sh";
        args = [ ./env-builder.sh ];
        PATH = hostPath;
        python = basePython;
        inherit (basePython) sitePackages;
        packages = f pythonPackages;
      };
    };
    pythonPackages = {
      inherit python;
      # Accepts the argument names of nixpkgs'
      # pkgs/development/interpreters/python/mk-python-derivation.nix that
      # machnix generates; only format = "wheel" is implemented.
      buildPythonPackage =
        args@{ pname, version, src, format ? "setuptools", pyproject ? null, build-system ? [ ]
        , nativeBuildInputs ? [ ], buildInputs ? [ ]
        , dependencies ? [ ], propagatedBuildInputs ? [ ], dontStrip ? false
        , autoPatchelfIgnoreMissingDeps ? [ ], pythonImportsCheck ? [ ], preFixup ? "", postFixup ? "", ... }:
        # A wheel is installed as is; an sdist (pyproject = true) is built
        # into a wheel first with its build-system, then installed.
        assert format == "wheel" || pyproject == true;
        let drv = derivation (removeAttrs args [ "format" "pyproject" "build-system" "propagatedBuildInputs" "dontStrip" ] // {
          name = "python3.11-${pname}-${version}";
          inherit system src nativeBuildInputs buildInputs preFixup postFixup;
          builder = "/bin/sh";
          args = [ ./wheel-builder.sh ];
          PATH = hostPath;
          python = basePython;
          inherit (basePython) sitePackages;
          dependencies = dependencies ++ propagatedBuildInputs;
          autoPatchelfIgnoreMissingDeps = autoPatchelfIgnoreMissingDeps;
          pythonImportsCheck = pythonImportsCheck;
          buildFromSource = if pyproject == true then "1" else "";
          buildSystem = build-system;
          pep517 = ./pep517-build.py;
        });
        in drv // {
          inherit pname version;
          # As nixpkgs' python packages offer: the same call with changed
          # arguments.
          overridePythonAttrs = f: pythonPackages.buildPythonPackage (args // (if builtins.isFunction f then f args else f));
        };
      hostPythonPackage = pname: version: modules: derivation {
        name = "python3.11-${pname}-${version}";
        inherit system modules pname;
        builder = "/bin/sh";
        args = [ ./host-python-package.sh ];
        PATH = hostPath;
        inherit (basePython) sitePackages;
      } // { inherit pname version; };
      setuptools = pythonPackages.hostPythonPackage "setuptools" "66.1.1" [ "setuptools" "pkg_resources" "_distutils_hack" ];
      wheel = pythonPackages.hostPythonPackage "wheel" "0.38.4" [ "wheel" ];
      # A package that only nixpkgs offers (no index has it), for the
      # nixpkgs provider: its pname and version are what machnix's catalog
      # reads, as from any python.pkgs attribute.
      nixonly = derivation {
        name = "python3.11-nixonly-2.1";
        inherit system;
        builder = "/bin/sh";
        args = [ "-c" "mkdir -p $out/${basePython.sitePackages}/nixonly && echo 'VALUE = \"from nixpkgs\"' > $out/${basePython.sitePackages}/nixonly/__init__.py" ];
        PATH = hostPath;
      } // {
        pname = "nixonly";
        version = "2.1";
        # As a nixpkgs package built by buildPythonPackage would: the same
        # recipe with changed arguments. Its native input is a marker, so
        # tests can see that an override kept it.
        overridePythonAttrs = f: pythonPackages.buildPythonPackage (
          let old = { pname = "nixonly"; version = "2.1"; format = "wheel"; src = null; nativeBuildInputs = [ (marker "nixonly-native-input") ]; };
          in old // (if builtins.isFunction f then f old else f));
      };
    };
  in python;

  basePython311 = derivation {
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
rec {
  inherit system fetchurl;
  python311 = mkPython basePython311;
  python3 = python311;
  autoPatchelfHook = marker "auto-patchelf-hook";
  autoAddDriverRunpath = marker "auto-add-driver-runpath";
  zlib = hostLibs "zlib-fixture" [ "libz.so.1" ];
  stdenv.cc.cc.lib = hostLibs "gcc-lib-fixture" [ "libstdc++.so.6" "libgcc_s.so.1" "libgomp.so.1" ];

  # nix-shell's shell: it evaluates <nixpkgs>.bashInteractive. The host's
  # bash stands in (the fixture's builders run on the host anyway).
  bashInteractive = derivation {
    name = "bash-interactive-fixture";
    inherit system;
    builder = "/bin/sh";
    args = [ "-c" "mkdir -p $out/bin && ln -s /bin/bash $out/bin/bash" ];
    PATH = hostPath;
  };

  # mkShell as nixpkgs' pkgs/build-support/mkshell: a derivation for
  # nix-shell only (building it fails), whose stdenv's setup puts the
  # packages on PATH.
  mkShell = { name ? "nix-shell", packages ? [ ], buildInputs ? [ ], nativeBuildInputs ? [ ], shellHook ? "", ... }: derivation {
    inherit name system shellHook;
    builder = "/bin/sh";
    args = [ "-c" "echo 'This derivation is not meant to be built, only entered with nix-shell.' >&2; exit 1" ];
    stdenv = derivation {
      name = "stdenv-fixture";
      inherit system;
      builder = "/bin/sh";
      args = [ "-c" "mkdir -p $out && cp ${./shell-setup.sh} $out/setup" ];
      PATH = hostPath;
    };
    packages = packages ++ buildInputs ++ nativeBuildInputs;
  };
}
