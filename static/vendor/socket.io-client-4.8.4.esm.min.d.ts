// What the type check of static/js (scripts/check) reads instead of the minified bundle beside
// it, which it would otherwise check as well. scripts/vendor.sh writes it with the bundle.
// Loose on purpose: static/js/connection.js describes the part of a socket it uses (SocketLike).
export function io(uri?: string, options?: object): unknown;
