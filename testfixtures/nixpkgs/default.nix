# A small stand-in for nixpkgs, for machnix's tests. It offers, with
# nixpkgs' names and argument conventions, only what the generated
# expressions use; production code never knows it is not the real thing.
# Builders run on the host (Debian's nix-bin has sandbox = false), so they
# may use /bin/sh, cp, ldd, curl, patch and patchelf.
#
# It is as strict as nixpkgs where machnix's output could go wrong: each
# check below names the nixpkgs file whose behaviour it copies. Where
# nixpkgs is lenient, so is the stand-in.
# pkgs/top-level/impure.nix: the system comes as localSystem (an
# attribute set with system, or, as lib.systems.elaborate takes it, the
# system string) or as the legacy system, never both; the package set
# names it stdenv.hostPlatform.system.
{ localSystem ? { system = args.system or builtins.currentSystem; }, config ? { }, overlays ? [ ], ... }@args:
assert args ? localSystem -> !(args ? system) || throw "nixpkgs: pass localSystem or system, not both";
let
  system = if builtins.isString localSystem then localSystem else localSystem.system;
  hostPath = "/usr/local/bin:/usr/bin:/bin";
  hostTriple = if system == "aarch64-linux" then "aarch64-linux-gnu" else "x86_64-linux-gnu";

  unique = builtins.foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];

  # pkgs/stdenv/generic/check-meta.nix: a package whose licence is unfree,
  # or which has known vulnerabilities, refuses to evaluate unless
  # config.allowUnfree (or allowUnfreePredicate) or
  # config.permittedInsecurePackages (or allowInsecurePredicate) lets it.
  # Like mkDerivation, the check guards drvPath and outPath: the attribute
  # can be looked at, using it as an input fails.
  checkMeta = drv:
    let
      meta = drv.meta or { };
      license = meta.license or { };
      unfree = (license.free or true) == false;
      insecure = (meta.knownVulnerabilities or [ ]) != [ ];
      allowUnfree = (config.allowUnfree or false) || (config.allowUnfreePredicate or (_: false)) drv;
      allowInsecure = builtins.elem drv.name (config.permittedInsecurePackages or [ ])
        || (config.allowInsecurePredicate or (_: false)) drv;
    in
    if unfree && !allowUnfree then
      throw "Package ‘${drv.name}’ has an unfree license (‘${license.shortName or "unfree"}’), refusing to evaluate. Set config.allowUnfree = true (or allowUnfreePredicate) to allow it."
    else if insecure && !allowInsecure then
      throw "Package ‘${drv.name}’ is marked as insecure, refusing to evaluate. Known issues: ${builtins.concatStringsSep "; " meta.knownVulnerabilities}. Add \"${drv.name}\" to config.permittedInsecurePackages to allow it."
    else true;

  # mkDerivation's shape: meta and passthru stay out of the derivation,
  # overrideAttrs calls again with changed arguments (pkgs/stdenv/generic/
  # make-derivation.nix).
  mkDerivation = args:
    let
      passthru = args.passthru or { };
      drv = derivation (removeAttrs args [ "meta" "passthru" ] // { inherit system; });
      self = drv // builtins.intersectAttrs { pname = null; version = null; } args // passthru // {
        meta = args.meta or { };
        drvPath = assert checkMeta self; drv.drvPath;
        outPath = assert checkMeta self; drv.outPath;
        overrideAttrs = f: mkDerivation (args // (if builtins.isFunction f then f args else f));
      };
    in
    self;

  # Host libraries copied into $out/lib, with RUNPATH $out/lib, as nixpkgs'
  # own libraries point into the store. Every named library must exist.
  hostLibs = name: libs: mkDerivation {
    inherit name hostTriple;
    builder = "/bin/sh";
    args = [ ./host-libs-builder.sh ];
    PATH = hostPath;
    libs = builtins.concatStringsSep " " libs;
  };
  # The same for the libraries of the soname table: they exist so that
  # every attribute machnix may name evaluates and builds; the host
  # libraries it has are copied, the others are left out (a wheel needing
  # one then fails in autoPatchelfHook, as it would without the input).
  tableLibs = name: libs: meta: (hostLibs name libs).overrideAttrs (_: { optional = "1"; inherit meta; });

  # A marker derivation: the wheel builder patches ELF files when it finds
  # this among nativeBuildInputs, as the real setup hook would.
  marker = name: derivation {
    inherit name system;
    builder = "/bin/sh";
    args = [ "-c" "echo ${name} > $out" ];
  };

  # pkgs/build-support/fetchurl/default.nix: the store name is name, else
  # pname-version, else the URL's last component as is (baseNameOf), which
  # keeps a query string or a percent escape; Nix itself then refuses the
  # characters a store path name cannot hold (%, &, ...).
  fetchurl = { url ? "", urls ? [ ], hash ? "", sha256 ? "", name ? "", pname ? "", version ? "", ... }:
    let
      url' = if url != "" then url else builtins.head urls;
      name' = if pname != "" && version != "" then "${pname}-${version}"
        else if name != "" then name
        else baseNameOf (toString url');
    in
    derivation {
      name = name';
      inherit system;
      url = url';
      builder = "/bin/sh";
      args = [ ./fetchurl-builder.sh ];
      PATH = hostPath;
      outputHashMode = "flat";
      outputHashAlgo = "sha256";
      outputHash = if hash != "" then hash else sha256;
    };

  # lib/licenses.nix
  licenses = {
    mit = { shortName = "mit"; free = true; };
    nvidiaCuda = { shortName = "CUDA EULA"; fullName = "CUDA Toolkit End User License Agreement (EULA)"; free = false; };
  };

  # pkgs/development/interpreters/python/passthrufun.nix: the package set
  # is a fixed point, extended by packageOverrides; python.override (the
  # interpreter's callPackage arguments, cpython/default.nix, which has no
  # catch-all) takes packageOverrides and self among its arguments, as an
  # attribute set or a function of the old ones.
  fix = f: let x = f x; in x;
  extends = ext: f: final: let prev = f final; in prev // ext final prev;
  mkPython = pythonArgs@{ basePython, packageOverrides ? (self: super: { }), self ? null }: let
    pythonOverride = f:
      let
        given = if builtins.isFunction f then f (removeAttrs pythonArgs [ "basePython" ]) else f;
        unknown = builtins.filter (k: !(builtins.elem k [ "packageOverrides" "self" ])) (builtins.attrNames given);
      in
      if unknown != [ ] then throw "function 'python3' called with unexpected argument '${builtins.head unknown}' (the stand-in's python.override takes packageOverrides and self)"
      else mkPython (pythonArgs // given);
    python = basePython // {
      pkgs = pythonPackages;
      override = pythonOverride;
      # pkgs/development/interpreters/python/wrapper.nix: the environment
      # holds the closure of propagated Python modules (requiredPythonModules
      # in python-packages-base.nix) and is a buildEnv without
      # ignoreCollisions, so two different files at one path fail the build
      # (pkgs/build-support/buildenv/builder.pl; identical files are fine).
      withPackages = f: let
        modules = unique (builtins.concatMap (p: [ p ] ++ (p.requiredPythonModules or [ ])) (f pythonPackages));
      in derivation {
        name = "python3-3.11-env";
        inherit system;
        builder = "/bin/sh";
        args = [ ./env-builder.sh ];
        PATH = hostPath;
        python = basePython;
        inherit (basePython) sitePackages;
        packages = modules;
      };
    };

    # The stand-in's `packaging` (pip's vendored copy and pyparsing from
    # the host), for the checks the hooks below run.
    packagingTool = derivation {
      name = "packaging-for-hooks";
      inherit system;
      builder = "/bin/sh";
      args = [ "-c" ''
        set -eu
        mkdir -p $out
        cp -R /usr/lib/python3/dist-packages/pip/_vendor/packaging $out/packaging
        cp -R /usr/lib/python3/dist-packages/pyparsing $out/pyparsing
        chmod -R u+w $out
        find $out -name '*.py' -exec sed -i 's/pip\._vendor\.pyparsing/pyparsing/g' {} +
        find $out -name __pycache__ -type d -prune -exec rm -rf {} +
      '' ];
      PATH = hostPath;
    };

    # python-packages-base.nix: a Python module knows its interpreter and
    # the closure of the Python modules it propagates.
    requiredPythonModules = drvs: let
      modules = builtins.filter (d: d ? pythonModule) drvs;
    in unique (modules ++ builtins.concatMap (m: m.requiredPythonModules or [ ]) modules);

    # python-packages-base.nix: toPythonModule marks a derivation that was
    # not made by buildPythonPackage; it has no overridePythonAttrs.
    toPythonModule = drv: drv // {
      pythonModule = python;
      requiredPythonModules = requiredPythonModules (drv.propagatedBuildInputs or [ ]);
    };

    pythonPackages = fix (extends packageOverrides (pythonPackages: {
      python = if self != null then self else python;
      inherit toPythonModule;

      # pkgs/development/interpreters/python/mk-python-derivation.nix, for
      # the formats machnix generates ("wheel", "pyproject") and the
      # recipes below use ("setuptools").
      buildPythonPackage =
        attrs@{ pname, version, src ? null, format ? null, pyproject ? null, build-system ? [ ]
        , nativeBuildInputs ? [ ], buildInputs ? [ ]
        , dependencies ? [ ], propagatedBuildInputs ? [ ]
        , nativeCheckInputs ? [ ], checkInputs ? [ ], doCheck ? true
        , disabled ? false, patches ? [ ], postPatch ? ""
        , dontStrip ? false, autoPatchelfIgnoreMissingDeps ? [ ], pythonImportsCheck ? [ ]
        , preFixup ? "", postFixup ? "", meta ? { }, passthru ? { }, ... }:
        let
          # mk-python-derivation.nix: pyproject and format exclude each
          # other (an assertion), and format defaults to "setuptools".
          format' =
            assert (pyproject != null) -> (format == null);
            if pyproject != null then (if pyproject then "pyproject" else "other")
            else if format != null then format
            else "setuptools";
          # mk-python-derivation.nix adds a build hook per format; with an
          # unknown one no hook builds a wheel and pypaInstallHook fails.
          # The stand-in refuses it at once, and also refuses the formats
          # real nixpkgs has but machnix never generates.
          checkedFormat =
            if builtins.elem format' [ "wheel" "pyproject" "setuptools" ] then format'
            else throw "buildPythonPackage ${pname}: format ${format'} is not one the stand-in nixpkgs builds (nixpkgs knows setuptools, pyproject, wheel, egg, other)";
          propagated = propagatedBuildInputs ++ dependencies;
          # mk-python-derivation.nix passes the remaining arguments to
          # mkDerivation, which makes each an environment variable: an
          # unknown argument (a typo) is not an error there, so it is none
          # here either. What fails there fails here: a value that cannot
          # become an environment variable (an attribute set that is no
          # derivation, a function), since builtins.derivation refuses it.
          # disabled = true throws, as transformDrv does.
          cleaned = removeAttrs attrs [
            "disabled" "checkPhase" "checkInputs" "nativeCheckInputs" "doCheck" "doInstallCheck"
            "pyproject" "format" "disabledTestPaths" "disabledTests" "outputs" "stdenv"
            "dependencies" "optional-dependencies" "build-system" "propagatedBuildInputs"
            "meta" "passthru" "dontStrip"
          ];
          drv = mkDerivation (cleaned // {
            name = "python3.11-${pname}-${version}";
            inherit src nativeBuildInputs buildInputs preFixup postFixup patches postPatch;
            builder = "/bin/sh";
            args = [ ./wheel-builder.sh ];
            PATH = hostPath;
            python = basePython;
            inherit (basePython) sitePackages;
            format = checkedFormat;
            dependencies = propagated;
            inherit autoPatchelfIgnoreMissingDeps pythonImportsCheck;
            buildSystem = build-system
              # setuptoolsBuildHook propagates setuptools and wheel.
              ++ (if checkedFormat == "setuptools" then [ pythonPackages.setuptools pythonPackages.wheel ] else [ ]);
            # mk-python-derivation.nix: doInstallCheck = doCheck (default
            # true), with nativeCheckInputs as nativeInstallCheckInputs,
            # which mkDerivation only includes when the check runs.
            doCheck = if doCheck then "1" else "";
            checkInputs = if doCheck then nativeCheckInputs ++ checkInputs else [ ];
            checkPhase = attrs.checkPhase or "";
            hooks = ./python-hooks.py;
            packaging = packagingTool;
            pep517 = ./pep517-build.py;
            inherit meta passthru;
          });
        in
        if disabled then throw "${pname} not supported for interpreter python3.11"
        else drv // {
          inherit pname version;
          # The derivation's attribute, as mkDerivation keeps it.
          propagatedBuildInputs = propagated;
          pythonModule = python;
          requiredPythonModules = requiredPythonModules propagated;
          # python-packages-base.nix makeOverridablePythonPackage: the same
          # call with changed arguments; the function sees the old ones.
          overridePythonAttrs = f: pythonPackages.buildPythonPackage (attrs // (if builtins.isFunction f then f attrs else f));
        };

      hostPythonPackage = pname: version: modules: toPythonModule (mkDerivation {
        name = "python3.11-${pname}-${version}";
        inherit modules pname;
        builder = "/bin/sh";
        args = [ ./host-python-package.sh ];
        PATH = hostPath;
        inherit (basePython) sitePackages;
      } // { inherit pname version; });
      setuptools = pythonPackages.hostPythonPackage "setuptools" "66.1.1" [ "setuptools" "pkg_resources" "_distutils_hack" ];
      wheel = pythonPackages.hostPythonPackage "wheel" "0.38.4" [ "wheel" ];

      # Recipes as nixpkgs writes them, for the nixpkgs provider and for
      # sdists that reuse a recipe. Their pname and version are what
      # machnix's catalog reads, as from any python.pkgs attribute.
      #
      # nixonly: only nixpkgs offers it (no index has it). An old-style
      # recipe: format = "setuptools", a patch and a postPatch, a native
      # input (a marker, so tests can see an override kept it), a
      # propagated Python dependency, and tests on by default with their
      # inputs; the test file exists in this version's source only.
      nixonly = pythonPackages.buildPythonPackage {
        pname = "nixonly";
        version = "2.1";
        format = "setuptools";
        src = ./recipes/nixonly;
        patches = [ ./recipes/nixonly-value.patch ];
        postPatch = ''
          find . -name __init__.py -path '*nixonly*' -exec sed -i 's/@value@/from nixpkgs/' {} +
        '';
        nativeBuildInputs = [ (marker "nixonly-native-input") ];
        propagatedBuildInputs = [ pythonPackages.nixhelper ];
        nativeCheckInputs = [ pythonPackages.pytest ];
        checkPhase = "python -m pytest tests/test_recipe.py";
        pythonImportsCheck = [ "nixonly" ];
        meta.license = licenses.mit;
      };
      # A newer-style recipe: pyproject = true with its build-system.
      nixhelper = pythonPackages.buildPythonPackage {
        pname = "nixhelper";
        version = "1.0";
        pyproject = true;
        src = ./recipes/nixhelper;
        build-system = [ pythonPackages.setuptools pythonPackages.wheel ];
        pythonImportsCheck = [ "nixhelper" ];
      };
      # A recipe with a Python dependency, for a nixpkgs-provided package
      # whose dependency the lock pins too.
      nixtool = pythonPackages.buildPythonPackage {
        pname = "nixtool";
        version = "0.9";
        pyproject = true;
        src = ./recipes/nixtool;
        build-system = [ pythonPackages.setuptools pythonPackages.wheel ];
        dependencies = [ pythonPackages.nixhelper ];
        pythonImportsCheck = [ "nixtool" ];
      };
      # A Python module made outside buildPythonPackage (as nixpkgs does
      # for bindings built with their library): toPythonModule, no
      # overridePythonAttrs, only overrideAttrs.
      nixmodule = toPythonModule (mkDerivation {
        name = "python3.11-nixmodule-1.5";
        pname = "nixmodule";
        version = "1.5";
        src = ./recipes/nixmodule;
        builder = "/bin/sh";
        args = [ "-c" ''
          set -eu
          site=$out/${basePython.sitePackages}
          mkdir -p $site
          if [ -d "$src" ]; then cp -R "$src"/. "$site"/; else
            work=$(mktemp -d); tar -xf "$src" -C "$work"
            find "$work" -name __init__.py -path '*/nixmodule/*' -exec dirname {} \; | head -n 1 | xargs -I{} cp -R {} "$site"/
          fi
          mkdir -p "$site/nixmodule-$version.dist-info"
          printf 'Metadata-Version: 2.1\nName: nixmodule\nVersion: %s\n' "$version" > "$site/nixmodule-$version.dist-info/METADATA"
        '' ];
        PATH = hostPath;
      });
      # An old PEP 517 backend: version 1.0, whose build_wheel refuses to
      # run. An sdist needing mybackend>=2 fails with "Missing
      # dependencies" when built with it.
      mybackend = toPythonModule (mkDerivation {
        name = "python3.11-mybackend-1.0";
        pname = "mybackend";
        version = "1.0";
        builder = "/bin/sh";
        args = [ "-c" ''
          set -eu
          site=$out/${basePython.sitePackages}
          mkdir -p $site/mybackend $site/mybackend-1.0.dist-info
          printf 'Metadata-Version: 2.1\nName: mybackend\nVersion: 1.0\n' > $site/mybackend-1.0.dist-info/METADATA
          printf 'def build_wheel(*args, **kwargs):\n    raise SystemExit("mybackend 1.0 cannot build this")\n' > $site/mybackend/__init__.py
        '' ];
        PATH = hostPath;
      });
      # A stand-in pytest: `python -m pytest FILE...` runs each test_*
      # function of the files.
      pytest = toPythonModule (mkDerivation {
        name = "python3.11-pytest-8.3.4";
        builder = "/bin/sh";
        args = [ "-c" ''
          set -eu
          site=$out/${basePython.sitePackages}
          mkdir -p $site/pytest $site/pytest-8.3.4.dist-info
          printf 'Metadata-Version: 2.1\nName: pytest\nVersion: 8.3.4\n' > $site/pytest-8.3.4.dist-info/METADATA
          echo > $site/pytest/__init__.py
          cat > $site/pytest/__main__.py <<'PY'
        import runpy, sys
        failed = 0
        for path in sys.argv[1:]:
            for name, fn in runpy.run_path(path).items():
                if name.startswith("test_") and callable(fn):
                    try:
                        fn()
                    except Exception as e:
                        failed += 1
                        print("FAILED", path, name, repr(e))
        sys.exit(1 if failed or not sys.argv[1:] else 0)
        PY
        '' ];
        PATH = hostPath;
        pname = "pytest";
        version = "8.3.4";
      });
      # pkgs/top-level/python-aliases.nix: a renamed attribute throws when
      # it is used.
      nix-only = throw "'nix-only' has been renamed to/replaced by 'nixonly'";
    }));
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

  cudaLib = name: libs: tableLibs "cuda-${name}-12.4" libs { license = licenses.nvidiaCuda; };
  # The xorg libraries under their by-name names
  # (pkgs/servers/x11/xorg/default.nix binds the old names to them).
  x = {
    libx11 = tableLibs "libx11-fixture" [ "libX11.so.6" "libX11-xcb.so.1" ] { };
    libxcb = tableLibs "libxcb-fixture" [ "libxcb.so.1" "libxcb-shm.so.0" "libxcb-render.so.0" "libxcb-shape.so.0" "libxcb-xfixes.so.0" "libxcb-randr.so.0" "libxcb-sync.so.1" "libxcb-xkb.so.1" ] { };
    libxext = tableLibs "libxext-fixture" [ "libXext.so.6" ] { };
    libxrender = tableLibs "libxrender-fixture" [ "libXrender.so.1" ] { };
    libice = tableLibs "libice-fixture" [ "libICE.so.6" ] { };
    libsm = tableLibs "libsm-fixture" [ "libSM.so.6" ] { };
    libxau = tableLibs "libxau-fixture" [ "libXau.so.6" ] { };
    libxdmcp = tableLibs "libxdmcp-fixture" [ "libXdmcp.so.6" ] { };
    libxcomposite = tableLibs "libxcomposite-fixture" [ "libXcomposite.so.1" ] { };
    libxcursor = tableLibs "libxcursor-fixture" [ "libXcursor.so.1" ] { };
    libxdamage = tableLibs "libxdamage-fixture" [ "libXdamage.so.1" ] { };
    libxfixes = tableLibs "libxfixes-fixture" [ "libXfixes.so.3" ] { };
    libxi = tableLibs "libxi-fixture" [ "libXi.so.6" ] { };
    libxinerama = tableLibs "libxinerama-fixture" [ "libXinerama.so.1" ] { };
    libxrandr = tableLibs "libxrandr-fixture" [ "libXrandr.so.2" ] { };
    libxtst = tableLibs "libxtst-fixture" [ "libXtst.so.6" ] { };
    libxcb-util = tableLibs "libxcb-util-fixture" [ "libxcb-util.so.1" ] { };
    libxcb-cursor = tableLibs "libxcb-cursor-fixture" [ "libxcb-cursor.so.0" ] { };
    libxcb-image = tableLibs "libxcb-image-fixture" [ "libxcb-image.so.0" ] { };
    libxcb-keysyms = tableLibs "libxcb-keysyms-fixture" [ "libxcb-keysyms.so.1" ] { };
    libxcb-render-util = tableLibs "libxcb-render-util-fixture" [ "libxcb-render-util.so.0" ] { };
    libxcb-wm = tableLibs "libxcb-wm-fixture" [ "libxcb-icccm.so.4" ] { };
  };
  # An attribute with outputs: the default one and lib (a multi-output
  # package's lib output is its own store path).
  withLib = name: libs: mkDerivation { inherit name; builder = "/bin/sh"; args = [ "-c" "mkdir -p $out" ]; } // { lib = tableLibs "${name}-lib" libs { }; };
in
# pkgs/top-level/default.nix and stage.nix: overlays must be a list of
# functions, and the package set is the fixed point of the base set
# extended by each overlay in turn (final: prev: { ... }).
assert builtins.isList overlays || throw "The overlays argument to nixpkgs must be a list.";
assert builtins.all builtins.isFunction overlays || throw "All overlays passed to nixpkgs must be functions.";
fix (builtins.foldl' (f: ext: extends ext f) (self: with self; x // {
  # As stage.nix: the set does not list its overlays; appendOverlays and
  # extend make the set again with more.
  inherit system fetchurl config;
  appendOverlays = extra: if extra == [ ] then self else import ./. (args // { overlays = overlays ++ extra; });
  extend = f: self.appendOverlays [ f ];
  # The nixpkgs this set was imported from, as pkgs.path.
  path = ./.;
  lib = { inherit licenses; };
  python311 = mkPython { basePython = basePython311; };
  python3 = python311;
  python311Packages = python311.pkgs;
  python3Packages = python3.pkgs;
  autoPatchelfHook = marker "auto-patchelf-hook";
  autoAddDriverRunpath = marker "auto-add-driver-runpath";
  zlib = hostLibs "zlib-fixture" [ "libz.so.1" ];
  stdenv.hostPlatform.system = system;
  # stdenv.cc.cc has outputs lib (libstdc++, libgomp, libatomic) and
  # libgcc (libgcc_s).
  stdenv.cc.cc = {
    lib = hostLibs "gcc-lib-fixture" [ "libstdc++.so.6" "libgcc_s.so.1" "libgomp.so.1" ];
    libgcc = tableLibs "gcc-libgcc-fixture" [ "libgcc_s.so.1" ] { };
  };
  gfortran.cc = withLib "gfortran-fixture" [ "libgfortran.so.5" "libquadmath.so.0" ];
  util-linux = withLib "util-linux-fixture" [ "libuuid.so.1" "libblkid.so.1" "libmount.so.1" ];
  postgresql = withLib "postgresql-fixture" [ "libpq.so.5" ];

  # The old xorg names, bound to the by-name packages as nixpkgs does.
  xorg = {
    libX11 = x.libx11; libxcb = x.libxcb; libXext = x.libxext; libXrender = x.libxrender;
    libICE = x.libice; libSM = x.libsm; libXau = x.libxau; libXdmcp = x.libxdmcp;
    libXcomposite = x.libxcomposite; libXcursor = x.libxcursor; libXdamage = x.libxdamage;
    libXfixes = x.libxfixes; libXi = x.libxi; libXinerama = x.libxinerama; libXrandr = x.libxrandr;
    libXtst = x.libxtst; xcbutil = x.libxcb-util; xcbutilcursor = x.libxcb-cursor;
    xcbutilimage = x.libxcb-image; xcbutilkeysyms = x.libxcb-keysyms;
    xcbutilrenderutil = x.libxcb-render-util; xcbutilwm = x.libxcb-wm;
  };

  # CUDA's user-space libraries are unfree (NVIDIA's CUDA EULA).
  cudaPackages = {
    cuda_cudart = cudaLib "cudart" [ "libcudart.so.12" ];
    cuda_cupti = cudaLib "cupti" [ "libcupti.so.12" ];
    cuda_nvrtc = cudaLib "nvrtc" [ "libnvrtc.so.12" ];
    cuda_nvtx = cudaLib "nvtx" [ "libnvToolsExt.so.1" ];
    cudnn = cudaLib "cudnn" [ "libcudnn.so.9" ];
    libcublas = cudaLib "libcublas" [ "libcublas.so.12" "libcublasLt.so.12" ];
    libcufft = cudaLib "libcufft" [ "libcufft.so.11" ];
    libcurand = cudaLib "libcurand" [ "libcurand.so.10" ];
    libcusolver = cudaLib "libcusolver" [ "libcusolver.so.11" ];
    libcusparse = cudaLib "libcusparse" [ "libcusparse.so.12" ];
    libnvjitlink = cudaLib "libnvjitlink" [ "libnvJitLink.so.12" ];
    nccl = cudaLib "nccl" [ "libnccl.so.2" ];
  };
  # OpenSSL 1.1 is end of life: nixpkgs marks it insecure.
  openssl_1_1 = tableLibs "openssl-1.1.1w" [ "libssl.so.1.1" "libcrypto.so.1.1" ] {
    knownVulnerabilities = [ "OpenSSL 1.1 is reaching its end of life on 2023/09/11 and cannot be supported through the NixOS 23.11 release cycle." ];
  };
  llvmPackages.openmp = tableLibs "openmp-fixture" [ "libomp.so" ] { };

  acl = tableLibs "acl-fixture" [ "libacl.so.1" ] { };
  alsa-lib = tableLibs "alsa-lib-fixture" [ "libasound.so.2" ] { };
  attr = tableLibs "attr-fixture" [ "libattr.so.1" ] { };
  bzip2 = tableLibs "bzip2-fixture" [ "libbz2.so.1.0" "libbz2.so.1" ] { };
  curl = tableLibs "curl-fixture" [ "libcurl.so.4" ] { };
  dbus = tableLibs "dbus-fixture" [ "libdbus-1.so.3" ] { };
  e2fsprogs = tableLibs "e2fsprogs-fixture" [ "libcom_err.so.2" ] { };
  expat = tableLibs "expat-fixture" [ "libexpat.so.1" ] { };
  file = tableLibs "file-fixture" [ "libmagic.so.1" ] { };
  fontconfig = tableLibs "fontconfig-fixture" [ "libfontconfig.so.1" ] { };
  freetype = tableLibs "freetype-fixture" [ "libfreetype.so.6" ] { };
  glib = tableLibs "glib-fixture" [ "libglib-2.0.so.0" "libgobject-2.0.so.0" "libgthread-2.0.so.0" "libgmodule-2.0.so.0" "libgio-2.0.so.0" ] { };
  libGL = tableLibs "libglvnd-fixture" [ "libGL.so.1" "libEGL.so.1" "libOpenGL.so.0" "libGLX.so.0" "libGLESv2.so.2" ] { };
  libGLU = tableLibs "libGLU-fixture" [ "libGLU.so.1" ] { };
  libarchive = tableLibs "libarchive-fixture" [ "libarchive.so.13" ] { };
  libb2 = tableLibs "libb2-fixture" [ "libb2.so.1" ] { };
  libbsd = tableLibs "libbsd-fixture" [ "libbsd.so.0" ] { };
  libffi = tableLibs "libffi-fixture" [ "libffi.so.8" ] { };
  libffi_3_3 = tableLibs "libffi-3.3-fixture" [ "libffi.so.7" ] { };
  libjpeg = tableLibs "libjpeg-fixture" [ "libjpeg.so.62" ] { };
  libkrb5 = tableLibs "krb5-fixture" [ "libgssapi_krb5.so.2" "libkrb5.so.3" "libk5crypto.so.3" ] { };
  libmysqlclient = tableLibs "libmysqlclient-fixture" [ "libmysqlclient.so.21" ] { };
  libpng = tableLibs "libpng-fixture" [ "libpng16.so.16" ] { };
  libsodium = tableLibs "libsodium-fixture" [ "libsodium.so.23" "libsodium.so.26" ] { };
  libssh = tableLibs "libssh-fixture" [ "libssh.so.4" ] { };
  libtiff = tableLibs "libtiff-fixture" [ "libtiff.so.6" ] { };
  libwebp = tableLibs "libwebp-fixture" [ "libwebp.so.7" "libwebpdemux.so.2" "libwebpmux.so.3" ] { };
  libxcrypt = tableLibs "libxcrypt-fixture" [ "libcrypt.so.1" ] { };
  libxkbcommon = tableLibs "libxkbcommon-fixture" [ "libxkbcommon.so.0" "libxkbcommon-x11.so.0" ] { };
  libxml2 = tableLibs "libxml2-fixture" [ "libxml2.so.16" ] { };
  libxml2_13 = tableLibs "libxml2-2.13-fixture" [ "libxml2.so.2" ] { };
  libxslt = tableLibs "libxslt-fixture" [ "libxslt.so.1" "libexslt.so.0" ] { };
  lz4 = tableLibs "lz4-fixture" [ "liblz4.so.1" ] { };
  ncurses = tableLibs "ncurses-fixture" [ "libncursesw.so.6" "libtinfo.so.6" ] { };
  ncurses5 = tableLibs "ncurses5-fixture" [ "libncursesw.so.5" "libpanelw.so.5" ] { };
  nspr = tableLibs "nspr-fixture" [ "libnspr4.so" "libplc4.so" "libplds4.so" ] { };
  nss = tableLibs "nss-fixture" [ "libnss3.so" "libnssutil3.so" "libsmime3.so" ] { };
  openblas = tableLibs "openblas-fixture" [ "libopenblas.so.0" ] { };
  openjpeg = tableLibs "openjpeg-fixture" [ "libopenjp2.so.7" ] { };
  openssl = tableLibs "openssl-fixture" [ "libssl.so.3" "libcrypto.so.3" ] { };
  readline = tableLibs "readline-fixture" [ "libreadline.so.8" ] { };
  snappy = tableLibs "snappy-fixture" [ "libsnappy.so.1" ] { };
  sqlite = tableLibs "sqlite-fixture" [ "libsqlite3.so.0" ] { };
  systemd = tableLibs "systemd-fixture" [ "libsystemd.so.0" "libudev.so.1" ] { };
  unixODBC = tableLibs "unixODBC-fixture" [ "libodbc.so.2" ] { };
  xz = tableLibs "xz-fixture" [ "liblzma.so.5" ] { };
  zstd = tableLibs "zstd-fixture" [ "libzstd.so.1" ] { };

  # pkgs/build-support/docker/default.nix: buildLayeredImage is
  # streamLayeredImage piped through gzip into "${baseNameOf name}.tar.gz",
  # a docker archive; without a tag the image is tagged with the output's
  # hash; maxLayers must be greater than 1. Its arguments are a subset of
  # streamLayeredImage's (no catch-all there either): one the stand-in
  # does not implement is refused.
  dockerTools.buildLayeredImage = { name, tag ? null, contents ? [ ], config ? { }, created ? "1970-01-01T00:00:01Z", maxLayers ? 100 }:
    assert maxLayers > 1 || throw "the maxLayers argument of dockerTools.buildLayeredImage function must be greather than 1 (current value: ${toString maxLayers})";
    let contents' = if builtins.isList contents then contents else [ contents ]; in
    derivation ({
      name = "${baseNameOf name}.tar.gz";
      inherit system created maxLayers;
      builder = "/usr/bin/python3";
      args = [ ./layered-image.py ];
      PATH = hostPath;
      imageName = name;
      imageTag = if tag == null then "" else tag;
      imageConfig = builtins.toJSON config;
      architecture = if system == "aarch64-linux" then "arm64" else "amd64";
      contents = contents';
      exportReferencesGraph = builtins.concatLists (builtins.genList (i: [ "closure-${toString i}" (builtins.elemAt contents' i) ]) (builtins.length contents'));
    }) // { imageName = name; };

  # nix-shell's shell: it evaluates <nixpkgs>.bashInteractive. The host's
  # bash stands in (the fixture's builders run on the host anyway).
  bashInteractive = derivation {
    name = "bash-interactive-fixture";
    inherit system;
    builder = "/bin/sh";
    args = [ "-c" "mkdir -p $out/bin && ln -s /bin/bash $out/bin/bash" ];
    PATH = hostPath;
  };

  # pkgs/build-support/mkshell/default.nix: nix-shell enters it, and it
  # also builds: its one phase writes the environment's variables to $out,
  # so the packages are references of the result. Its stdenv's setup (for
  # nix-shell) puts the packages on PATH. Its builder is bash, as stdenv's
  # is: nix develop refuses any other and sources $stdenv/setup itself.
  mkShell = { name ? "nix-shell", packages ? [ ], buildInputs ? [ ], nativeBuildInputs ? [ ], shellHook ? "", ... }: derivation {
    inherit name system shellHook;
    # mkDerivation always names its outputs; nix develop's get-env.sh
    # writes the environment to each one it finds in $outputs.
    outputs = [ "out" ];
    builder = "/bin/bash";
    args = [ "-c" "{ echo 'WARNING: the existence of this path is not guaranteed.'; export; } > $out" ];
    PATH = hostPath;
    stdenv = derivation {
      name = "stdenv-fixture";
      inherit system;
      builder = "/bin/sh";
      args = [ "-c" "mkdir -p $out && cp ${./shell-setup.sh} $out/setup" ];
      PATH = hostPath;
    };
    packages = packages ++ buildInputs ++ nativeBuildInputs;
  };
}) overlays)
