# Helpers of nixpkgs' lib (lib/fixed-points.nix, lib/lists.nix,
# lib/strings.nix), written with builtins only, so that the library needs
# nothing of pkgs.lib.
rec {
  inherit (builtins) foldl';
  fix = f: let x = f x; in x;
  extends = ext: f: self: let super = f self; in super // ext self super;
  composeExtensions = f: g: self: super:
    let fApplied = f self super; in fApplied // g self (super // fApplied);
  composeManyExtensions = foldl' composeExtensions (_: _: { });

  lower = builtins.replaceStrings
    [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ]
    [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
  # PEP 503: runs of -_. become one dash, lowercase.
  normalize = s: lower (builtins.concatStringsSep "-" (builtins.filter (x: builtins.isString x && x != "") (builtins.split "[-_.]+" s)));

  hasSuffix = suffix: s:
    let n = builtins.stringLength s; m = builtins.stringLength suffix; in
    n >= m && builtins.substring (n - m) m s == suffix;
  hasPrefix = prefix: s: builtins.substring 0 (builtins.stringLength prefix) s == prefix;

  unique = foldl' (acc: x: if builtins.elem x acc then acc else acc ++ [ x ]) [ ];
  concatMapStrings = f: l: builtins.concatStringsSep "" (map f l);

  # Selects a dotted attribute path of a set; null where a component is
  # missing.
  attrByPath = set: path:
    foldl' (acc: k: if acc != null && builtins.isAttrs acc && acc ? ${k} then acc.${k} else null) set (builtins.filter builtins.isString (builtins.split "\\." path));
}
