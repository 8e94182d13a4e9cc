import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import ts from 'typescript';

/**
 * Compiles bench scripts to plain ESM in `outDir`, so the children that run them start without a
 * TypeScript loader: the bare server and the load generator must carry no more than the platform
 * itself. Files compiled together may import each other (`./x.js`); anything else they need
 * comes from node: or through createRequire. Type checking is `npm run typecheck`'s job.
 * Returns the path of the first file's output.
 */
export function compileScripts(outDir: string, sources: readonly string[]): string {
  writeFileSync(join(outDir, 'package.json'), '{"type": "module"}\n');
  const outputs = sources.map((source) => {
    const fileName = basename(source);
    const { outputText, diagnostics } = ts.transpileModule(readFileSync(source, 'utf8'), {
      fileName,
      reportDiagnostics: true,
      compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
    });
    if (diagnostics?.length) {
      throw new Error(`cannot compile ${source}: ${diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')).join('; ')}`);
    }
    const out = join(outDir, fileName.replace(/\.ts$/, '.js'));
    writeFileSync(out, outputText);
    return out;
  });
  return outputs[0]!;
}
