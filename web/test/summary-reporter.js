// Vitest reporter that ends the output with the project's closing line,
// "N passed, N failed" (a file that fails to load counts as one failure).
export default class SummaryReporter {
	onTestRunEnd(testModules, unhandledErrors) {
		let passed = 0;
		let failed = unhandledErrors.length;
		for (const m of testModules) {
			let n = 0;
			for (const t of m.children.allTests()) {
				n++;
				const st = t.result().state;
				if (st === 'passed')
					passed++;
				else if (st === 'failed')
					failed++;
			}
			if (n === 0 && m.state() === 'failed')
				failed++;
		}
		process.stdout.write(`${passed} passed, ${failed} failed\n`);
	}
}
