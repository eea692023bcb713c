// Stand-in for @grpc/grpc-js in dockerode (../dockerode.ts): the package loads when
// dockerode first uses it (a BuildKit build session), not when dockerode is required.
let real;
module.exports = new Proxy({}, { get: (_, key) => (real ??= require('@grpc/grpc-js'))[key] });
