// Argument and dyn names C's headers or the runtime take as macros or
// prefixes: renamed in the header (a reserved prefix gets `arg_` in front).
model hmac;
dyn modrt_n;
entry f(INT64_MAX: f32[modrt_n], MODRT_ABI_VERSION: f32[modrt_n], typeof: f32[modrt_n], linux: f32[modrt_n], SIZE_MAX: f32[modrt_n], modrt_x: f32[modrt_n]) -> f32[modrt_n] {
  return INT64_MAX + MODRT_ABI_VERSION + typeof + linux + SIZE_MAX + modrt_x;
}
