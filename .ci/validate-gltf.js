// Validates glTF/GLB files with the Khronos glTF Validator (the npm package `gltf-validator`,
// found through NODE_PATH) and prints one line per file: "<file>: <errors> errors, <warnings>
// warnings", then each error. Exits 1 when any file has an error, 2 when the validator is missing.
const fs = require("fs");
let validator;
try {
  validator = require("gltf-validator");
} catch (e) {
  console.error("gltf-validator is not installed (npm install gltf-validator; set NODE_PATH)");
  process.exit(2);
}

async function main(files) {
  let failed = false;
  for (const file of files) {
    const report = await validator.validateBytes(new Uint8Array(fs.readFileSync(file)), {
      uri: file,
      maxIssues: 0,
      writeTimestamp: false,
    });
    const n = report.issues;
    console.log(`${file}: ${n.numErrors} errors, ${n.numWarnings} warnings, ${n.numInfos} infos`);
    for (const m of n.messages) {
      if (m.severity <= 1) {
        console.log(`  ${m.severity === 0 ? "error" : "warning"} ${m.code} at ${m.pointer}: ${m.message}`);
      }
    }
    failed = failed || n.numErrors > 0;
  }
  process.exit(failed ? 1 : 0);
}

main(process.argv.slice(2)).catch((e) => {
  console.error(e);
  process.exit(1);
});
