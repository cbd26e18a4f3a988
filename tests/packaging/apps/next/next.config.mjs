export default { output: undefined, eslint: { ignoreDuringBuilds: true } };
