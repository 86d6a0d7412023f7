# The lock's packages as derivations: what `machnix build` builds, decided
# here once for the CLI (whose generated default.nix calls this library)
# and for Nix users alike.
#
# nixpkgs conventions: buildPythonPackage's arguments are those of
# pkgs/development/interpreters/python/mk-python-derivation.nix (format =
# "wheel" installs with wheelUnpackHook and pypaInstallHook; dependencies
# and build-system are the current names), autoPatchelfHook's those of
# pkgs/by-name/au/auto-patchelf/source/auto-patchelf.py; dontStrip and the
# driver-only autoPatchelfIgnoreMissingDeps follow
# pkgs/development/python-modules/torch/bin/default.nix.
{ pkgs, u }:
let
  inherit (builtins) attrNames concatStringsSep elem filter length listToAttrs map match isString isList isAttrs isPath;

  # A lock may come from anyone. Its values reach Nix as data (fromJSON),
  # never as text, and each is checked against its grammar before it is
  # used as a name, a store path name or an attribute path.
  nameRE = "[a-z0-9]+(-[a-z0-9]+)*";
  attrRE = "[A-Za-z_][A-Za-z0-9_'-]*(\\.[A-Za-z_][A-Za-z0-9_'-]*)*";
  sonameRE = "[A-Za-z0-9_][A-Za-z0-9._+-]*";
  moduleRE = "[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*";
  hexRE = "[0-9a-f]{64}";
  # A local project's path, as resolve.CheckProjectPath has it: "." or
  # relative components with forward slashes, none empty, "." or "..",
  # except that it may start with ".." components (a project beside the
  # lock's directory or above it: an env folder inside the project); no
  # leading "~", no backslash, quote, $ or control characters.
  localPartRE = "[^/\\\\$\"[:cntrl:]]+";
  # What Go's unicode.IsControl and Bidi_Control add beyond ASCII (C1,
  # bidirectional marks), and the replacement character.
  oddChars = map (c: builtins.fromJSON "\"\\u${c}\"")
    (builtins.genList (i: "00${toString (8 + i / 16)}${builtins.substring (i - i / 16 * 16) 1 "0123456789abcdef"}") 32
      ++ [ "061c" "200e" "200f" "202a" "202b" "202c" "202d" "202e" "2066" "2067" "2068" "2069" "fffd" ]);
  isLocalPath = s:
    let
      parts = filter isString (builtins.split "/" s);
      lead = builtins.foldl' (acc: c: if acc.up && c == ".." then { up = true; n = acc.n + 1; } else acc // { up = false; }) { up = true; n = 0; } parts;
      rest = builtins.genList (i: builtins.elemAt parts (i + lead.n)) (length parts - lead.n);
    in
    isString s && (s == "." || (
      builtins.all (c: match localPartRE c != null) parts
      && builtins.all (c: c != "." && c != "..") rest
      && !(u.hasPrefix "~" s)
      && builtins.replaceStrings oddChars (map (_: "") oddChars) s == s));

  # A file's url as resolve's checkLockURL accepts it: http or https with
  # a host and no credentials, or file with an absolute path (no host but
  # localhost) without .. components; nowhere white space, a quote, a
  # backslash or a control character (fetchurl splits its urls on white
  # space).
  urlCharsRE = "[^ \"\\\\[:cntrl:]]+";
  isLockURL = s:
    let
      web = match "[Hh][Tt][Tt][Pp][Ss]?://[^/?#@]+([/?#].*)?" s;
      # file://[localhost]/path, or file:/path (no authority).
      withHost = match "[Ff][Ii][Ll][Ee]://(localhost)?(/[^?#]*)([?#].*)?" s;
      bare = match "[Ff][Ii][Ll][Ee]:(/([^/?#][^?#]*)?)([?#].*)?" s;
      file = if withHost != null then builtins.elemAt withHost 1 else if bare != null then builtins.head bare else null;
      # Go's url.Parse decodes the path before its .. check.
      parts = filter isString (builtins.split "/" (builtins.replaceStrings [ "%2e" "%2E" ] [ "." "." ] file));
    in
    isString s && match urlCharsRE s != null
    && builtins.replaceStrings oddChars (map (_: "") oddChars) s == s
    && (web != null || file != null && !(elem ".." parts));

  # Whether check holds for each element of l with its index (checks
  # throw with the element's place in the lock).
  allIndexed = check: l: builtins.all (x: x) (builtins.genList (i: check i (builtins.elemAt l i)) (length l));

  matches = re: s: isString s && match re s != null;

  bad = fn: field: what: throw "machnix.${fn}: invalid lock: ${field}: ${what}";

  checkList = fn: field: re: what: l:
    if l == null then true
    else if !(isList l) then bad fn field "not a list"
    else builtins.all (x: matches re x || bad fn field "${builtins.toJSON x} is not ${what}") l;

  checkNative = fn: field: n:
    (isAttrs n || bad fn field "not an object")
    && checkList fn "${field}.build_inputs" "${attrRE}( or ${attrRE})*" "a nixpkgs attribute path" (n.build_inputs or null)
    && checkList fn "${field}.driver" sonameRE "a soname" (n.driver or null)
    && checkList fn "${field}.missing" sonameRE "a soname" (n.missing or null)
    && checkList fn "${field}.wheel_deps" nameRE "a normalised project name" (n.wheel_deps or null)
    && checkList fn "${field}.imports" moduleRE "a Python module name" (n.imports or null);

  checkPackage = fn: list: i: p:
    let field = "${list}[${toString i}]"; in
    (isAttrs p || bad fn field "not an object")
    && (matches nameRE (p.name or null) || bad fn "${field}.name" "${builtins.toJSON (p.name or null)} is not a normalised project name")
    && (let f = "${field} (${p.name})"; in
      (matches "[A-Za-z0-9][A-Za-z0-9._+!~-]*" (p.version or null) || bad fn "${f}.version" "${builtins.toJSON (p.version or null)} is not a version")
      && (elem (p.provider or null) [ "wheel" "sdist" "nixpkgs" "local" ] || bad fn "${f}.provider" "${builtins.toJSON (p.provider or null)} is not wheel, sdist, nixpkgs or local")
      && checkList fn "${f}.dependencies" nameRE "a normalised project name" (p.dependencies or null)
      && (p.provider != "nixpkgs" || matches attrRE (p.nix_attr or null) || bad fn "${f}.nix_attr" "${builtins.toJSON (p.nix_attr or null)} is not an attribute path")
      && (!(elem p.provider [ "wheel" "sdist" "local" ]) || matches hexRE (p.sha256 or null) || bad fn "${f}.sha256" "not 64 lowercase hex digits")
      && (p.provider != "local" || isLocalPath (p.path or null) || bad fn "${f}.path" "${builtins.toJSON (p.path or null)} is not a clean relative path (forward slashes, .. only at the start)")
      && (!(elem p.provider [ "wheel" "sdist" ]) || (isString (p.url or null) && matches "[A-Za-z0-9._+!~=-]+" (p.filename or null)) || bad fn "${f}.filename" "a ${p.provider} needs a url and a plain file name")
      && (!(elem p.provider [ "wheel" "sdist" ]) || isLockURL p.url || bad fn "${f}.url" "${builtins.toJSON p.url} is not an http(s) URL with a host and no credentials, or a file URL with an absolute path without ..")
      && (!(p ? native) || checkNative fn "${f}.native" p.native));

  # Every dependency and every wheel_deps entry of a list's packages names
  # a package of that list, as resolve's lock check requires: any other
  # name would be looked up in python.pkgs, where "python" is the
  # interpreter itself. Run after the checks of each package (names are
  # known to be clean). notPinned ends the message, as machnix's does.
  checkPinned = fn: list: notPinned: l:
    let
      names = listToAttrs (map (p: { name = p.name; value = true; }) l);
      orNone = v: if v == null then [ ] else v;
      # Each native record of a package with its field: its own, or its
      # files' and their per-target ones in a universal lock.
      nativesOf = f: p:
        (if p ? native then [ { field = "${f}.native"; n = p.native; } ] else [ ])
        ++ builtins.concatLists (builtins.genList (j:
          let file = builtins.elemAt p.files j; ff = "${f}.files[${toString j}]"; in
          (if file ? native then [ { field = "${ff}.native"; n = file.native; } ] else [ ])
          ++ map (k: { field = "${ff}.native_by_target.${k}"; n = file.native_by_target.${k}; }) (attrNames (file.native_by_target or { })))
          (length (orNone (p.files or null))));
      one = i: p:
        let f = "${list}[${toString i}] (${p.name})"; in
        builtins.all (d: names ? ${d} || bad fn "${f}.dependencies" "${d} ${notPinned}") (orNone (p.dependencies or null))
        && builtins.all (x: builtins.all (d: names ? ${d} || bad fn "${x.field}.wheel_deps" "${d} is not pinned") (orNone (x.n.wheel_deps or null))) (nativesOf f p);
    in
    allIndexed one l;

  # A universal lock (machnix resolve --universal): targets instead of
  # target, and per package the targets that install it, a file per
  # target (each with its native inputs) and the markers of dependencies
  # not installed wherever the package is.
  systemRE = "[a-z0-9_]+-[a-z0-9_]+";
  targetPythonRE = "3\\.[0-9]{1,2}(\\.[0-9]{1,3})?";
  keyOf = t: "${t.system}/${t.python}";

  checkTarget = fn: i: t:
    let field = "targets[${toString i}]"; in
    (isAttrs t || bad fn field "not an object")
    && (matches targetPythonRE (t.python or null) || bad fn "${field}.python" "${builtins.toJSON (t.python or null)} is not 3.N or 3.N.M")
    && (matches systemRE (t.system or null) || bad fn "${field}.system" "${builtins.toJSON (t.system or null)} is not a Nix system");

  # Each file is checked as the package it makes on its targets, so every
  # rule for a package's file holds for it (sha256, url, file name,
  # native inputs); its targets must install the package.
  checkUniversalPackage = fn: list: keys: i: p:
    let
      field = "${list}[${toString i}]";
      f = "${field} (${builtins.toJSON (p.name or null)})";
      files = p.files or [ ];
      fileField = j: "${f}.files[${toString j}]";
      local = (p.provider or null) == "local";
      checkFile = j: file:
        (isAttrs file || bad fn (fileField j) "not an object")
        && (elem (file.provider or null) [ "wheel" "sdist" ] || bad fn "${fileField j}.provider" "${builtins.toJSON (file.provider or null)} is not wheel or sdist")
        && (isList (file.targets or null) && file.targets != [ ] || bad fn "${fileField j}.targets" "not a list of the package's targets")
        && builtins.all (k: isString k && elem k p.targets || bad fn "${fileField j}.targets" "${builtins.toJSON k} does not install this package") file.targets
        && checkList fn "${fileField j}.tags" "[A-Za-z0-9_.]+-[A-Za-z0-9_.]+-[A-Za-z0-9_.]+" "a wheel tag" (file.tags or null)
        && checkFileBuildRequires fn (fileField j) file
        && checkFileNativeByTarget fn (fileField j) file
        && checkPackage fn "${f}.files" j (asFile p file);
    in
    (isAttrs p || bad fn field "not an object")
    && (!(p ? native) || bad fn "${f}.native" "a universal lock records native inputs per file")
    # A local project is a directory, the same on every target: its hash
    # and build requirements stay on the package.
    && (!(p ? build_requires) || local && checkList fn "${f}.build_requires" buildReqRE "a build requirement" p.build_requires
      || bad fn "${f}.build_requires" "a universal lock records build requirements per target on the sdist's file")
    && (!(p ? url || p ? filename || p ? sha256 && !local) || bad fn "${f}.filename" "a universal lock lists a package's files under files")
    && (isList (p.targets or null) && p.targets != [ ] || bad fn "${f}.targets" "not a list of the lock's targets")
    && builtins.all (k: elem k keys || bad fn "${f}.targets" "${builtins.toJSON k} is not among the lock's targets") p.targets
    && (isString (p.marker or "") || bad fn "${f}.marker" "not a string")
    && (isAttrs (p.dependency_markers or { }) || bad fn "${f}.dependency_markers" "not an object")
    && builtins.all (d: elem d (p.dependencies or [ ]) && isString p.dependency_markers.${d} || bad fn "${f}.dependency_markers" "${builtins.toJSON d} is not a dependency with a marker") (attrNames (p.dependency_markers or { }))
    && (isList files || bad fn "${f}.files" "not a list")
    && (if elem (p.provider or null) [ "nixpkgs" "local" ]
      then (files == [ ] || bad fn "${f}.files" "a ${p.provider} package has no file") && checkPackage fn list i (removeAttrs p [ "targets" "marker" "dependency_markers" ])
      else allIndexed checkFile files
        && builtins.all (k: builtins.any (file: elem k file.targets) files || bad fn "${f}.files" "no file for target ${k}") p.targets);

  # An sdist file's build requirements per target key: each key one of
  # the file's targets, each requirement a normalised name, optional
  # extras and specifiers (the markers were evaluated per target).
  buildReqRE = "${nameRE}(\\[[a-z0-9,-]+])?[<>=!~ .,*+A-Za-z0-9]*";
  checkFileBuildRequires = fn: field: file:
    let br = file.build_requires or { }; in
    (isAttrs br || bad fn "${field}.build_requires" "not an object")
    && (br == { } || file.provider == "sdist" || bad fn "${field}.build_requires" "only an sdist has build requirements")
    && builtins.all (k: elem k (file.targets or [ ]) || bad fn "${field}.build_requires" "${builtins.toJSON k} is not among the file's targets") (attrNames br)
    && builtins.all (k: checkList fn "${field}.build_requires.${k}" buildReqRE "a build requirement" br.${k}) (attrNames br);

  # A wheel file's native inputs on the targets where its inspection found
  # other ones than its native: each key one of the file's targets, each
  # value native inputs as checkNative takes them.
  checkFileNativeByTarget = fn: field: file:
    let nt = file.native_by_target or { }; in
    (isAttrs nt || bad fn "${field}.native_by_target" "not an object")
    && (nt == { } || file ? native || bad fn "${field}.native_by_target" "the file records no native inputs to differ from")
    && builtins.all (k: elem k (file.targets or [ ]) || bad fn "${field}.native_by_target" "${builtins.toJSON k} is not among the file's targets") (attrNames nt)
    && builtins.all (k: checkNative fn "${field}.native_by_target.${k}" nt.${k}) (attrNames nt);

  # A build package of a universal lock: a wheel or nixpkgs' package.
  checkUniversalBuildPackage = fn: keys: i: p:
    checkUniversalPackage fn "build_packages" keys i p
    && (elem p.provider [ "wheel" "nixpkgs" ] || bad fn "build_packages[${toString i}] (${p.name}).provider" "a build package is a wheel or comes from nixpkgs")
    && builtins.all (file: file.provider == "wheel" && !(file ? build_requires) && !(file ? native) && !(file ? native_by_target) || bad fn "build_packages[${toString i}] (${p.name}).files" "a build package is installed from a wheel, without native inputs or build requirements") (p.files or [ ]);

  # A package of a universal lock as it is on a target, with that
  # target's file.
  asFile = p: file:
    removeAttrs p [ "files" "targets" "marker" "dependency_markers" ]
    // { inherit (file) provider; filename = file.filename or null; url = file.url or null; sha256 = file.sha256 or null; }
    // (if file ? native then { inherit (file) native; } else { });

  checkUniversal = fn: l:
    let keys = map keyOf l.targets; in
    (!(l ? target) || bad fn "target" "a universal lock lists targets instead")
    && (isList l.targets && l.targets != [ ] || bad fn "targets" "a universal lock needs at least one target")
    && allIndexed (checkTarget fn) l.targets
    && (length (u.unique keys) == length keys || bad fn "targets" "a target is listed twice")
    && (isList (l.packages or [ ]) || bad fn "packages" "not a list")
    && allIndexed (checkUniversalPackage fn "packages" keys) (l.packages or [ ])
    && (isList (l.build_packages or [ ]) || bad fn "build_packages" "not a list")
    && allIndexed (checkUniversalBuildPackage fn keys) (l.build_packages or [ ])
    && checkPinned fn "packages" "is not pinned" (l.packages or [ ])
    && checkPinned fn "build_packages" "is not pinned" (l.build_packages or [ ]);

  readLock = fn: lockFile:
    let
      file = if isPath lockFile || isString lockFile then lockFile else throw "machnix.${fn}: lock must be a path (./machnix.lock)";
      l = builtins.fromJSON (builtins.readFile file);
      universal = isAttrs l && l ? targets;
      ok = (isAttrs l || bad fn "(top)" "not an object")
        && (l.version or null == 1 || bad fn "version" "${builtins.toJSON (l.version or null)}, this library reads version 1")
        && (if universal then checkUniversal fn l else
          (matches "3\\.[0-9]{1,2}" (l.target.python or null) || bad fn "target.python" "${builtins.toJSON (l.target.python or null)} is not 3.N")
          && allIndexed (checkPackage fn "packages") (l.packages or [ ])
          && allIndexed (checkPackage fn "build_packages") (l.build_packages or [ ])
          && checkPinned fn "packages" "is not pinned" (l.packages or [ ])
          && checkPinned fn "build_packages" "is not among build_packages" (l.build_packages or [ ]));
    in
    assert ok; l // { packages = l.packages or [ ]; build_packages = l.build_packages or [ ]; requirements = l.requirements or [ ]; };

  # A Python version's major.minor (3.11 of 3.11.4).
  minorOf = v: let x = match "([0-9]+\\.[0-9]+).*" v; in if x == null then v else builtins.head x;

  # markerHolds t m: whether a dependency marker holds on target t, as
  # machnix writes them over targets (resolve's concreteMarker): terms of
  # platform_machine, python_version and python_full_version joined by
  # "and", parenthesised, joined by "or". A marker of another form, or a
  # full version this library cannot know (a target of "3.11" has the
  # newest patch release), keeps the dependency, which then takes part
  # only where the target installs it.
  markerHolds = t: m:
    let
      machine = builtins.head (builtins.split "-" t.system);
      full = if match "[0-9]+\\.[0-9]+\\.[0-9]+" t.python != null then t.python else null;
      strip = s: let x = match "[(](.*)[)]" s; in if x == null then s else builtins.head x;
      atomHolds = a:
        let x = match "(platform_machine|python_version|python_full_version) == \"([^\"]*)\"" a; in
        if x == null then null
        else let var = builtins.elemAt x 0; val = builtins.elemAt x 1; in
          if var == "platform_machine" then val == machine
          else if var == "python_version" then val == minorOf t.python
          else if full == null then null
          else val == full;
      terms = map (term: map atomHolds (filter isString (builtins.split " and " (strip term)))) (filter isString (builtins.split " or " m));
      known = builtins.all (atoms: builtins.all (a: a != null) atoms) terms;
    in
    m == "" || !known || builtins.any (atoms: builtins.all (a: a) atoms) terms;

  # forTarget fn lock system pythonVersion: a universal lock as the
  # single-target lock of one of its targets, as machnix's ForTarget
  # projects it: the packages and build packages the target installs,
  # each with its file for the target (and that file's build requirements
  # there), and of each package's dependencies those the target installs
  # whose markers hold on it (markerHolds). pythonVersion null takes the
  # lock's first Python for the system. A single-target lock is returned
  # as it is.
  forTarget = fn: lock: system: pythonVersion:
    let
      keys = map keyOf lock.targets;
      onSystem = filter (t: t.system == system) lock.targets;
      chosen = if pythonVersion == null then onSystem else filter (t: minorOf t.python == minorOf pythonVersion) onSystem;
      t = builtins.head chosen;
      key = keyOf t;
      # The packages of a list (packages or build_packages) the target
      # installs, each with its file for the target and that file's
      # build requirements there.
      projectList = list:
        let
          installed = filter (p: elem key p.targets) list;
          present = listToAttrs (map (p: { name = p.name; value = true; }) installed);
          project = p:
            let
              files = filter (f: elem key f.targets) (p.files or [ ]);
              file = builtins.head files;
            in
            (if files == [ ] then removeAttrs p [ "files" "targets" "marker" "dependency_markers" ] else asFile p file)
            // (if files != [ ] && (file.build_requires or { }) ? ${key} then { build_requires = file.build_requires.${key}; } else { })
            // (if files != [ ] && (file.native_by_target or { }) ? ${key} then { native = file.native_by_target.${key}; } else { })
            // { dependencies = filter (d: present ? ${d} && markerHolds t ((p.dependency_markers or { }).${d} or "")) (p.dependencies or [ ]); };
        in
        map project installed;
      systems = u.unique (map (t: t.system) lock.targets ++ [ system ]);
      pythons = u.unique (map (t: t.python) lock.targets ++ (if pythonVersion == null then [ ] else [ pythonVersion ]));
      flags = concatStringsSep " " (map (s: "--system ${s}") systems ++ map (p: "--python ${p}") pythons);
    in
    if !(lock ? targets) then lock
    else if chosen == [ ] then
      throw "machnix.${fn}: the lock has no target ${system}/${if pythonVersion == null then "(any Python)" else pythonVersion}; it holds ${concatStringsSep ", " keys}. Add it with `machnix resolve --universal ${flags}`"
    else lock // {
      target = t // { python = minorOf t.python; };
      packages = projectList lock.packages;
      build_packages = projectList lock.build_packages;
      # Every name the lock pins on any target: `_` may name a package
      # installed on another system only.
      allNames = u.unique (map (p: p.name) lock.packages);
    };

  pythonAttr = fn: lock: "python" + builtins.replaceStrings [ "." ] [ "" ] lock.target.python;

  lockPython = fn: lock:
    let attr = pythonAttr fn lock; in
    pkgs.${attr} or (throw "machnix.${fn}: this nixpkgs has no ${attr}, the lock's Python (target.python ${lock.target.python}); pass python = pkgs.python3XY of the lock's version, or lock again with machnix resolve --python");

  checkPython = fn: lock: python:
    let v = python.pythonVersion or null; in
    v == null || v == lock.target.python
    || throw "machnix.${fn}: python is ${v}, the lock is for ${lock.target.python}: its wheels fit that Python only; pass python = pkgs.${pythonAttr fn lock}, or lock again with machnix resolve --python ${v}";

  # requirements.txt as the lock records its root requirements: one
  # requirement a line, without comments, options and blank lines, and
  # without white space, which carries no meaning in PEP 508.
  requirementLines = text:
    let
      lines = filter isString (builtins.split "\n" (builtins.replaceStrings [ "\\\n" "\r" ] [ "" "" ] text));
      strip = l: builtins.replaceStrings [ " " "\t" ] [ "" "" ] (builtins.head (builtins.split "(^|[ \t])#" l));
    in
    builtins.sort builtins.lessThan (filter (l: l != "" && !(u.hasPrefix "-" l)) (map strip lines));

  checkRequirements = fn: lock: requirements:
    let
      want = requirementLines requirements;
      have = builtins.sort builtins.lessThan (map (r: builtins.replaceStrings [ " " "\t" ] [ "" "" ] r) lock.requirements);
    in
    requirements == null || want == have
    || throw "machnix.${fn}: requirements differ from the lock's (it has ${builtins.toJSON lock.requirements}); refresh the lock with `machnix resolve -r requirements.txt -o machnix.lock`";

  # Each package's dependencies within the lock with the back edges of
  # dependency cycles left out (torch and triton need each other): Nix
  # cannot build a derivation whose inputs lead back to it. Depth first
  # over sorted names, as machnix always did, so the same lock always
  # loses the same edges; withPackages still holds both packages.
  breakCycles = pkgsList:
    let
      deps = listToAttrs (map (p: { name = p.name; value = builtins.sort builtins.lessThan (p.dependencies or [ ]); }) pkgsList);
      append = set: n: x: set // { ${n} = (set.${n} or [ ]) ++ [ x ]; };
      visit = st: n:
        let
          entered = st // { state = st.state // { ${n} = "stack"; }; };
          step = acc: d:
            if !(deps ? ${d}) then acc // { kept = append acc.kept n d; }
            else if (acc.state.${d} or "") == "stack" then acc // { dropped = append acc.dropped n d; }
            else
              let after = if acc.state ? ${d} then acc else visit acc d; in
              after // { kept = append after.kept n d; };
          left = builtins.foldl' step entered deps.${n};
        in
        left // { state = left.state // { ${n} = "done"; }; };
    in
    builtins.foldl' (st: n: if st.state ? ${n} then st else visit st n) { state = { }; kept = { }; dropped = { }; } (attrNames deps);

  # The name a fetched file has in the store: the lock's file name with
  # what a store path name cannot hold (nix/src/libstore/path.cc) made
  # "_", as nixbuild.StoreName does when machnix adds the file itself.
  storeName = filename:
    let n = u.concatMapStrings (x: if isList x then "_" else x) (builtins.split "[^A-Za-z0-9+._?=-]" filename); in
    if n == "" || builtins.substring 0 1 n == "." then "file" + n else n;

  fetch = p: pkgs.fetchurl { name = storeName p.filename; url = p.url; sha256 = p.sha256; };

  # The source filter of local projects, resolve/project.Filter's rule
  # for rule (machnix hashes the same files; a test compares the hashes).
  # root is the project's directory; the filter gets each entry's
  # absolute path and its type (regular, directory, symlink or unknown).
  # Left out at any depth: these names (version control, caches,
  # environments, the lock, which records the project's hash), *.pyc and
  # *.egg-info, sockets and fifos, and any directory holding a
  # machnix.lock (an env folder written into the project, or a project of
  # its own). Left out at the top only, where builds put them: the build
  # and dist directories and nix-build's result and result-* symlinks;
  # deeper down such names are package code.
  excludedNames = [ ".direnv" ".git" ".hg" ".jj" ".mypy_cache" ".nox" ".pytest_cache" ".ruff_cache" ".svn" ".tox" ".venv" "__pycache__" "machnix.lock" "venv" ];
  sourceFilter = root: path: type:
    let
      p = toString path;
      b = baseNameOf p;
      top = dirOf p == toString root;
    in
    !(elem b excludedNames
      || u.hasSuffix ".pyc" b
      || u.hasSuffix ".egg-info" b
      || type == "unknown"
      || (type == "directory" && builtins.pathExists (p + "/machnix.lock"))
      || (top && type == "directory" && (b == "build" || b == "dist"))
      || (top && type == "symlink" && (b == "result" || u.hasPrefix "result-" b)));

  # A local project's directory copied into the store with the filter.
  # Only a Python project's directory is copied (pyproject.toml, setup.py
  # or setup.cfg in it, as machnix requires when it locks one): a lock
  # whose path leads elsewhere (../../../etc, a home directory) is refused
  # before anything of it reaches the world-readable store.
  projectSource = fn: what: dir: name:
    if toString dir == "/" then throw "machnix.${fn}: ${what}: the file system's root is not a project"
    else if !(builtins.any (f: builtins.pathExists (dir + "/${f}")) [ "pyproject.toml" "setup.py" "setup.cfg" ])
    then throw "machnix.${fn}: ${what}: ${toString dir} is not a Python project (no pyproject.toml, setup.py or setup.cfg)"
    else builtins.path { path = dir; inherit name; filter = sourceFilter dir; };

  # A build-system input named by its attribute path in python.pkgs (ps),
  # for the lock's build requirements and packagesExtra alike.
  # pythonPkgOr gives orElse where the set has no such attribute.
  pythonPkgOr = ps: attr: orElse:
    let v = u.attrByPath ps attr; in
    if v == null then orElse else v;
  pythonPkg = fn: ps: attr: pythonPkgOr ps attr (throw "machnix.${fn}: python.pkgs has no ${attr}");

  # A `_` entry changes one attribute: { add = ...; remove = ...; } edits
  # a list (remove, then add) or appends to a string, { mod = old: new; }
  # maps the old value, anything else replaces it. ignoreMissing and tests
  # are machnix's own keys.
  isEdit = v: isAttrs v && !(v ? outPath) && v != { } && builtins.all (k: elem k [ "add" "remove" "mod" ]) (attrNames v);
  editValue = fn: pkg: key: old: v:
    if !(isEdit v) then v
    else if v ? mod then v.mod old
    else if isString old then (if old == "" then v.add or "" else old + "\n" + (v.add or ""))
    else if isList old then filter (x: !(elem x (v.remove or [ ]))) old ++ (v.add or [ ])
    else throw "machnix.${fn}: _.${pkg}.${key}: add and remove edit a list or a string, and ${key} is neither here";
  ownKeys = [ "ignoreMissing" "tests" ];
  applyEdits = fn: pkg: o: base:
    listToAttrs (map (k: { name = k; value = editValue fn pkg k (base.${k} or (if isString ((o.${k}).add or null) then "" else [ ])) o.${k}; })
      (filter (k: !(elem k ownKeys)) (attrNames o)));

  # The lock's packages: a function of the package set to take nixpkgs'
  # recipes and buildPythonPackage from (ps) and of the final set (self),
  # which holds them, for pythonOverrides and for mkPython alike.
  packages = { fn, lock, args, lockFile, python }: ps: self:
    let
      lockDir = dirOf lockFile;
      byName = listToAttrs (map (p: { name = p.name; value = p; }) lock.packages);
      indexOf = listToAttrs (builtins.genList (i: { name = (builtins.elemAt lock.packages i).name; value = i; }) (length lock.packages));
      # A lock entry as machnix's own messages name it.
      entry = p: "the lock's packages[${toString indexOf.${p.name}}] (${p.name}, ${p.provider} ${p.version})";
      cycles = breakCycles lock.packages;
      kept = n: cycles.kept.${n} or [ ];
      cut = n: (cycles.dropped.${n} or [ ]) != [ ];
      over = n: args._.${n} or { };
      testsFor = n: (over n).tests or args.tests;
      unknownOverrides = filter (n: !(byName ? ${n}) && !(elem n (lock.allNames or [ ]))) (attrNames args._);
      nixpkgsOverridden = filter (n: byName.${n}.provider == "nixpkgs") (filter (n: byName ? ${n}) (attrNames args._));

      # mach-nix's updatePythonDeps: a Python module a nixpkgs recipe
      # propagates is replaced by the lock's package of the same name, so
      # one distribution never comes in two versions (withPackages'
      # buildEnv and pythonCatchConflictsHook refuse that).
      fromLock = d: let n = u.normalize (d.pname or ""); in if d ? pythonModule && byName ? ${n} then self.${n} else d;
      pythonOnly = filter (d: !(d ? pythonModule));
      # python-aliases.nix makes a renamed attribute throw when used,
      # which `?` alone does not see.
      hasRecipe = name: ps ? ${name} && (builtins.tryEval ps.${name}).success;
      depsOf = n: map (d: self.${d}) (kept n);
      pkgAttr = p: attr:
        let
          alts = filter isString (builtins.split " or " attr);
          found = filter (x: x != null) (map (u.attrByPath pkgs) alts);
        in
        if found == [ ] then throw "machnix.${fn}: this nixpkgs has no ${attr}, a native input of ${entry p}" else builtins.head found;

      # The lock's build packages: what an sdist's build-system is made
      # of, never in the environment. A wheel pin is installed as nixpkgs
      # installs any wheel, without tests or import checks.
      buildPins = listToAttrs (map (p: { name = p.name; value = p; }) lock.build_packages);
      buildCycles = breakCycles lock.build_packages;
      buildRef = n: if buildPins.${n}.provider == "nixpkgs" then pythonPkg fn ps buildPins.${n}.nix_attr else buildFixed.${n};
      buildFixed = builtins.mapAttrs (n: p: ps.buildPythonPackage {
        pname = n;
        inherit (p) version;
        format = "wheel";
        src = fetch p;
        dependencies = map buildRef (buildCycles.kept.${n} or [ ]);
        dontStrip = true;
        doCheck = false;
        pythonImportsCheck = [ ];
      }) (builtins.removeAttrs buildPins (filter (n: buildPins.${n}.provider != "wheel") (attrNames buildPins)));

      # An sdist's or local project's build-system: each requirement's
      # pin and the pins it depends on, or nixpkgs' package of that name
      # where the lock pins none; setuptools before 70.1 asks for wheel
      # only through get_requires_for_build_wheel, so wheel comes with it.
      buildSystem = p:
        let
          names = map (r: builtins.head (match "([a-z0-9-]+).*" r)) (p.build_requires or [ ]);
          # Depth first, dependencies sorted, in the requirements' order.
          walk = acc: n:
            if elem { pin = n; } acc then acc
            else builtins.foldl' walk (acc ++ [ { pin = n; } ]) (filter (d: buildPins ? ${d}) (builtins.sort builtins.lessThan (buildPins.${n}.dependencies or [ ])));
          items = builtins.foldl' (acc: n: if buildPins ? ${n} then walk acc n else if elem { nix = n; } acc then acc else acc ++ [ { nix = n; } ]) [ ] names;
          wheel = if elem "setuptools" names && !(elem "wheel" names) then [ ps.wheel ] else [ ];
        in
        if names == [ ] then throw "machnix.${fn}: ${entry p} records no build requirements; lock it again with this machnix, or give _.${p.name}.build-system"
        else map (x: if x ? pin then buildRef x.pin else pythonPkg fn ps x.nix) items ++ wheel;

      nixpkgsPackage = p:
        let
          r = pythonPkgOr ps p.nix_attr (throw "machnix.${fn}: python.pkgs of this nixpkgs has no ${p.nix_attr}, which ${entry p} names: lock again against this nixpkgs (machnix resolve --nixpkgs)");
          deps = r.propagatedBuildInputs or [ ];
        in
        if r ? overridePythonAttrs && builtins.any (d: fromLock d != d) deps then
          r.overridePythonAttrs (old: { dependencies = [ ]; propagatedBuildInputs = map fromLock deps; doCheck = testsFor p.name; })
        else r;

      wheelPackage = p:
        let
          n = p.native or (throw "machnix.${fn}: ${entry p} records no native inputs for its wheel; lock again with machnix (it inspects every wheel), or run machnix build, which does");
          o = over p.name;
          ignored = (o.ignoreMissing or [ ]) ++ args.ignoreMissing;
          missing = filter (s: !(elem s ignored)) (n.missing or [ ]);
          driver = n.driver or [ ];
          base = {
            pname = p.name;
            inherit (p) version;
            format = "wheel";
            src = fetch p;
            nativeBuildInputs = [ pkgs.autoPatchelfHook ] ++ (if n.driver_runpath or false then [ pkgs.autoAddDriverRunpath ] else [ ]);
            buildInputs = map (pkgAttr p) (n.build_inputs or [ ]);
            dependencies = depsOf p.name;
            dontStrip = true;
            doCheck = testsFor p.name;
            autoPatchelfIgnoreMissingDeps = driver ++ filter (s: elem s ignored) (n.missing or [ ]);
            # Libraries another wheel ships sit anywhere under its
            # site-packages; auto-patchelf searches the given directory.
            preFixup = u.concatMapStrings (d: "addAutoPatchelfSearchPath ${self.${d}}/${python.sitePackages}\n") (n.wheel_deps or [ ]);
            pythonImportsCheck = n.imports or [ ];
          };
        in
        if missing != [ ] then
          throw "machnix.${fn}: ${entry p} needs ${concatStringsSep ", " missing}, which nothing provides: map each to a nixpkgs attribute in machnix.toml [sonames] and lock again, or, if it comes at run time, give _.${p.name}.ignoreMissing = [ ${concatStringsSep " " (map builtins.toJSON missing)} ]"
        else ps.buildPythonPackage (base // applyEdits fn p.name o base);

      # attrs takes the recipe's old arguments (none for a new recipe), so
      # that `_` adds to nixpkgs' inputs instead of replacing them. A
      # recipe's format (mk-python-derivation.nix asserts it is null
      # beside pyproject) and its Python dependencies give way to the
      # lock's; its non-Python propagated inputs, native inputs and
      # patches stay. Its tests are off unless asked: they were written
      # for nixpkgs' version, with inputs the lock does not pin.
      sourceAttrs = p: src: old:
        let
          mine = {
            pname = p.name;
            inherit (p) version;
            format = null;
            pyproject = true;
            inherit src;
            build-system = buildSystem p;
            dependencies = depsOf p.name;
            propagatedBuildInputs = pythonOnly (old.propagatedBuildInputs or [ ]);
            doCheck = testsFor p.name;
          } // (if cut p.name then {
            # pythonRuntimeDepsCheckHook would miss the dependency left
            # out to break the cycle; withPackages has it.
            dontCheckRuntimeDeps = true;
          } else { });
        in
        mine // applyEdits fn p.name (over p.name) (old // mine);

      # As mach-nix did, when nixpkgs has the package its recipe is reused,
      # so its native inputs, patches and hooks come along with the lock's
      # version, source, dependencies and build system.
      sdistPackage = p:
        let
          attrs = sourceAttrs p (fetch p);
          name = p.name;
        in
        if hasRecipe name && ps.${name} ? overridePythonAttrs then ps.${name}.overridePythonAttrs attrs
        # A package nixpkgs made without buildPythonPackage
        # (toPythonModule) has only overrideAttrs: its own builder gets
        # the lock's source.
        else if hasRecipe name && ps.${name} ? overrideAttrs then ps.${name}.overrideAttrs (old:
          let a = attrs old; in
          { inherit (a) pname version src; propagatedBuildInputs = a.propagatedBuildInputs ++ a.dependencies; }
          // (if old ? name then { name = "${old.pname or a.pname}-${a.version}"; } else { }))
        else ps.buildPythonPackage (attrs { });

      # A project on disk beside the lock, copied with the source filter.
      # Its sha256 is not enforced here: editing the project's source
      # needs no new lock, only a change of its dependencies does.
      localPackage = p:
        let
          dir = if p.path == "." then lockDir else lockDir + "/${p.path}";
        in
        ps.buildPythonPackage (sourceAttrs p (projectSource fn (entry p) dir "${p.name}-source") { });

      one = p:
        if p.provider == "nixpkgs" then nixpkgsPackage p
        else if p.provider == "wheel" then wheelPackage p
        else if p.provider == "sdist" then sdistPackage p
        else localPackage p;
    in
    if unknownOverrides != [ ] then throw "machnix.${fn}: _ names ${concatStringsSep ", " unknownOverrides}, which the lock does not have"
    else if nixpkgsOverridden != [ ] then throw "machnix.${fn}: _.${builtins.head nixpkgsOverridden}: the package comes from nixpkgs as it is; to change its build, override it in overridesPre, or lock its sdist (provider = \"sdist\") and change that"
    else builtins.mapAttrs (_: one) byName;

  # packagesExtra: derivations as they are; a local source path, or
  # { src = ./dir; pname; version; build-system; dependencies; }, built
  # with pyproject = true; a tarball { url; sha256; } likewise. Their
  # dependencies name packages of the lock.
  extraPackages = { fn, args, python, self }:
    let
      ps = python.pkgs;
      one = i: e:
        let
          spec =
            if isPath e || (isString e && u.hasPrefix "/" e) then { src = e; }
            else if isAttrs e && e ? url then e // { src = pkgs.fetchurl { inherit (e) url; sha256 = e.sha256 or (throw "machnix.${fn}: packagesExtra[${toString i}]: a URL needs its sha256"); }; }
            else if isAttrs e && e ? src then e
            else throw "machnix.${fn}: packagesExtra[${toString i}] is not a derivation, a source path, { src = ...; } or { url; sha256; }";
          src = if isPath spec.src || (isString spec.src && u.hasPrefix "/" spec.src)
            then builtins.path { path = spec.src; name = "source"; filter = sourceFilter spec.src; } else spec.src;
          pname = spec.pname or (u.normalize (baseNameOf (toString spec.src)));
        in
        if isAttrs e && e ? outPath then e
        else ps.buildPythonPackage {
          inherit pname src;
          version = spec.version or "0";
          pyproject = true;
          build-system = map (b: if isString b then pythonPkg fn ps b else b) (spec.build-system or [ "setuptools" "wheel" ]);
          dependencies = map (d: if isString d then self.${u.normalize d} or (throw "machnix.${fn}: packagesExtra[${toString i}] depends on ${d}, which the lock does not have") else d) (spec.dependencies or [ ]);
          doCheck = spec.doCheck or args.tests;
          # Its version is unknown without building it, so the runtime
          # check has nothing to compare with.
          dontCheckRuntimeDeps = true;
        };
    in
    builtins.genList (i: one i (builtins.elemAt args.packagesExtra i)) (length args.packagesExtra);
in
{
  inherit readLock forTarget lockPython pythonAttr checkPython checkRequirements packages extraPackages sourceFilter excludedNames isLocalPath isLockURL storeName breakCycles;
}
