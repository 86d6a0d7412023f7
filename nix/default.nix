# machnix's Nix library: mach-nix's interface (mkPython and its siblings),
# built from a machnix.lock alone. The lock is read with builtins.fromJSON,
# so nothing is resolved and nothing is built while Nix evaluates (no
# import-from-derivation): `machnix lock` did the resolving and inspected
# every wheel's native libraries, and recorded what Nix needs.
#
# Every function takes `lock` (a path to machnix.lock) and these optional
# arguments, as mach-nix did:
#   python         the interpreter (default: pkgs.pythonXY of the lock)
#   requirements   a requirements.txt text, checked against the lock's
#   packagesExtra  derivations, local source paths ({ src = ./dir; ... })
#                  and tarballs ({ url; sha256; }) built beside the lock's
#   _              per-package changes: { numpy.buildInputs.add = [ ... ];
#                  foo.postFixup.add = "..."; bar.doCheck = true; ... }
#   overridesPre   pythonOverrides applied before the lock's packages
#   overridesPost  pythonOverrides applied after them
#   tests          run the packages' tests (default false)
#   ignoreMissing  sonames left unresolved in every wheel
{ pkgs ? import <nixpkgs> { } }:
let
  u = import ./util.nix;
  locked = import ./locked.nix { inherit pkgs u; };
  # The system the environment is for, which chooses a universal lock's
  # target.
  hostSystem = pkgs.stdenv.hostPlatform.system;

  # The arguments every function shares, with their defaults.
  common = {
    lock = null;
    python = null;
    requirements = null;
    packagesExtra = [ ];
    _ = { };
    overridesPre = [ ];
    overridesPost = [ ];
    tests = false;
    ignoreMissing = [ ];
  };

  # args with the defaults filled in; an argument no function knows is a
  # typo, refused as callPackage refuses one.
  withDefaults = fn: extra: args:
    let
      known = common // extra;
      unknown = builtins.filter (k: !(known ? ${k})) (builtins.attrNames args);
    in
    if !(builtins.isAttrs args) then throw "machnix.${fn}: takes an attribute set ({ lock = ./machnix.lock; ... })"
    else if unknown != [ ] then throw "machnix.${fn}: unknown argument ${builtins.concatStringsSep ", " unknown} (known: ${builtins.concatStringsSep ", " (builtins.attrNames known)})"
    else if args.lock or null == null then throw "machnix.${fn}: lock is required: the path to a machnix.lock (machnix resolve -r requirements.txt writes one)"
    else known // args;

  # The environment and what it is made of, for the functions below.
  setup = fn: extra: args0:
    let
      args = withDefaults fn extra args0;
      # A universal lock gives the target of this system and Python.
      lock = locked.forTarget fn (locked.readLock fn args.lock) hostSystem (if args.python != null then args.python.pythonVersion or null else null);
      python0 = if args.python != null then args.python else locked.lockPython fn lock;
      # overridesPre change nixpkgs' packages before the lock's are made
      # from them (python.override's packageOverrides, composed).
      python = if args.overridesPre == [ ] then python0
        else python0.override (old: { packageOverrides = u.composeManyExtensions ([ (old.packageOverrides or (_: _: { })) ] ++ args.overridesPre); });
      checked = locked.checkPython fn lock python && locked.checkRequirements fn lock args.requirements;
      layer = locked.packages { inherit fn lock args; lockFile = args.lock; python = python; };
      # The lock's packages, then overridesPost, on top of python.pkgs.
      final = u.fix (u.foldl' (acc: ext: u.extends ext acc) (self: python.pkgs // layer python.pkgs self) args.overridesPost);
      extraDrvs = locked.extraPackages { inherit fn args python; self = final; };
      envPackages = map (p: final.${p.name}) lock.packages ++ extraDrvs;
      env = assert checked; python.withPackages (_: envPackages);
    in
    { inherit args lock python final env checked; };

  mkPython = args: (setup "mkPython" { } args).env;

  mkPythonShell = args:
    let s = setup "mkPythonShell" { shellHook = ""; packages = [ ]; } args; in
    pkgs.mkShell { packages = [ s.env ] ++ s.args.packages; shellHook = s.args.shellHook; };

  # A layered image made with nixpkgs' own dockerTools; `machnix docker`
  # is the faster path that pushes.
  mkDockerImage = args:
    let
      s = setup "mkDockerImage" { name = "python-env"; tag = "latest"; config = { }; maxLayers = 100; contents = [ ]; } args;
    in
    pkgs.dockerTools.buildLayeredImage {
      inherit (s.args) name tag maxLayers;
      contents = [ s.env ] ++ s.args.contents;
      config = { Cmd = [ "${s.env}/bin/python" ]; Env = [ "PATH=${s.env}/bin:/bin" ]; } // s.args.config;
    };

  # pythonOverrides (self: super: { ... }) that make the lock's packages
  # the ones of a python package set: other packages of that set which
  # depend on them get the locked versions.
  mkPythonOverrides = overridesFor "mkPythonOverrides" hostSystem;

  # mkPythonOverrides for a system: a universal lock's target is that
  # system's, with the Python of the package set extended.
  overridesFor = fn: system: args0:
    let
      args = withDefaults fn { } args0;
      lock = locked.readLock fn args.lock;
      pre = u.composeManyExtensions args.overridesPre;
      post = u.composeManyExtensions args.overridesPost;
      # The package set's interpreter must be the lock's, as mkPython's
      # python must: the lock's wheels fit that Python only.
      own = self: super:
        let target = locked.forTarget fn lock system (super.python.pythonVersion or null); in
        assert locked.checkPython fn target super.python;
        locked.packages { inherit fn args; lock = target; lockFile = args.lock; python = super.python; } super self;
    in
    # A package set has its own interpreter and takes packages by name:
    # an interpreter or nameless extra packages would be silently lost.
    if args.python != null then throw "machnix.${fn}: python is the one whose package set these overrides extend; give it no python"
    else if args.packagesExtra != [ ] then throw "machnix.${fn}: packagesExtra belong to mkPython; add packages to a package set in overridesPost"
    else assert locked.checkRequirements fn lock args.requirements;
    u.composeManyExtensions [ pre own post ];

  # An overlay: the lock's interpreter (python3XY, and python3 when it is
  # that one) with the lock's packages in its package set.
  mkOverlay = args:
    final: prev:
    let
      system = prev.stdenv.hostPlatform.system;
      lock = locked.forTarget "mkOverlay" (locked.readLock "mkOverlay" args.lock) system null;
      attr = locked.pythonAttr "mkOverlay" lock;
      overrides = overridesFor "mkOverlay" system args;
      py = prev.${attr}.override (old: {
        self = final.${attr};
        packageOverrides = u.composeExtensions (old.packageOverrides or (_: _: { })) overrides;
      });
      isPython3 = (prev.python3.pythonVersion or null) == lock.target.python;
    in
    # Attribute names must not depend on packages (python3 refers to the
    # final set): python3 is always set, to itself unless it is the
    # lock's interpreter.
    {
      ${attr} = py;
      "${attr}Packages" = final.${attr}.pkgs;
      python3 = if isPython3 then final.${attr} else prev.python3;
      python3Packages = final.python3.pkgs;
    };

  # nixpkgs (this pkgs, or the one given) with mkOverlay applied. This pkgs
  # keeps its own overlays, config and platforms through appendOverlays: a
  # package set does not list the overlays it was made with (stage.nix).
  mkNixpkgs = args:
    let overlay = mkOverlay (removeAttrs args [ "nixpkgs" ]); in
    if args ? nixpkgs then
      import args.nixpkgs {
        system = pkgs.stdenv.hostPlatform.system or pkgs.system;
        config = pkgs.config or { };
        overlays = [ overlay ];
      }
    else pkgs.appendOverlays [ overlay ];

  # The lock's local project (provider "local"; machnix lock .) built with
  # its locked dependencies.
  localProject = fn: args:
    let
      s = setup fn { name = null; } args;
      locals = builtins.filter (p: p.provider == "local") s.lock.packages;
      chosen = if s.args.name != null then builtins.filter (p: p.name == s.args.name) locals else locals;
    in
    # The project is one derivation of the set: extra packages would be
    # silently lost, as in a package set's overrides.
    if s.args.packagesExtra != [ ] then throw "machnix.${fn}: packagesExtra belong to mkPython; the project's dependencies come from the lock"
    else if chosen == [ ] then throw "machnix.${fn}: the lock has no local project${if s.args.name != null then " named ${s.args.name}" else ""}; lock one with `machnix lock .` in its directory"
    else if builtins.length chosen > 1 then throw "machnix.${fn}: the lock has several local projects (${builtins.concatStringsSep ", " (map (p: p.name) chosen)}); choose one with name = \"...\""
    else
      # buildPythonPackage wraps console scripts so that they find their
      # dependencies (wrapPythonPrograms), so the application is the same
      # derivation, built with buildPythonApplication where nixpkgs has it.
      # The same checks as mkPython's (python, requirements), which the
      # environment alone would otherwise force.
      assert s.checked; s.final.${(builtins.head chosen).name};
in
{
  inherit mkPython mkPythonShell mkDockerImage mkPythonOverrides mkOverlay mkNixpkgs;
  buildPythonPackage = localProject "buildPythonPackage";
  buildPythonApplication = localProject "buildPythonApplication";
  # The source filter local projects are copied with, a function of the
  # project's directory (builtins.path { path = dir; filter =
  # machnix.sourceFilter dir; }); machnix hashes the same files.
  inherit (locked) sourceFilter;
}
