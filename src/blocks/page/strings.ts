/**
 * What the blocks' controls say, in the site's two languages. The page gets them as JSON
 * (BlockControls.astro), so the eager script carries no strings of its own. `{name}` marks a value
 * filled in by the page; backticks mark code.
 */

export interface BlockStrings {
  run: string;
  /** The Run button's accessible name: `{command}` is the block's first line. */
  runLabel: string;
  stop: string;
  runAbove: string;
  runAboveTitle: string;
  offlineTitle: string;
  status: {
    idle: string;
    queued: string;
    connecting: string;
    busy: string;
    running: string;
    waiting: string;
    /** After a few seconds, appended to a running status: `{seconds}`. */
    elapsed: string;
    done: string;
    expectedFailure: string;
    /** `{code}`: the exit status. */
    expectedFailureCode: string;
    failed: string;
    failedExit: string;
    failedExitWanted: string;
    failedSucceeded: string;
    failedNoStatus: string;
    failedNoMatch: string;
    /** The title of a no-match status: `{expect}` is the pattern. */
    expectTitle: string;
    timedOutRun: string;
    timedOutBusy: string;
    timedOutUntil: string;
    disconnected: string;
    stopped: string;
  };
  progress: {
    label: string;
    /** `{n}` of `{total}`, running `{command}`. */
    running: string;
    done: string;
    nothing: string;
    /** `{n}` of `{total}`, `{reason}` the failed status. */
    failed: string;
    stopped: string;
    show: string;
    stop: string;
    close: string;
  };
  offline: {
    title: string;
    text: string;
    retry: string;
  };
}

const zh: BlockStrings = {
  run: '运行',
  runLabel: '运行：{command}',
  stop: '停止',
  runAbove: '运行到这里',
  runAboveTitle: '按顺序运行这个代码块之前所有还没完成的代码块',
  offlineTitle: '终端离线，代码块不能运行',
  status: {
    idle: '未运行',
    queued: '排队中',
    connecting: '正在连接终端…',
    busy: '等待终端空闲…',
    running: '运行中…',
    waiting: '等待就绪…',
    elapsed: '{seconds} 秒',
    done: '完成',
    expectedFailure: '预期中的失败',
    expectedFailureCode: '预期中的失败（退出状态 {code}）',
    failed: '失败',
    failedExit: '失败：退出状态 {code}',
    failedExitWanted: '失败：退出状态 {code}，应为 {wanted}',
    failedSucceeded: '失败：命令成功了，但这里它应当失败',
    failedNoStatus: '失败：没有得到退出状态',
    failedNoMatch: '失败：输出与预期不符',
    expectTitle: '输出中应当出现：{expect}',
    timedOutRun: '超时：{seconds} 秒内没有完成',
    timedOutBusy: '超时：终端忙了 {seconds} 秒，代码块没能开始',
    timedOutUntil: '超时：{seconds} 秒内没有就绪',
    disconnected: '失败：终端没有连接',
    stopped: '已停止',
  },
  progress: {
    label: '运行到这里的进度',
    running: '正在运行第 {n}/{total} 个：{command}',
    done: '完成：已运行 {total} 个代码块',
    nothing: '上面的代码块都已完成',
    failed: '在第 {n}/{total} 个代码块停下：{reason}',
    stopped: '已在第 {n}/{total} 个代码块停止',
    show: '查看该代码块',
    stop: '停止',
    close: '关闭',
  },
  offline: {
    title: '终端离线',
    text: '这个页面连不上实验服务，代码块不能在这里运行（仍然可以复制）。要实时运行：在项目目录里运行 `npm start`，然后打开它打印出的链接。',
    retry: '重试',
  },
};

const en: BlockStrings = {
  run: 'Run',
  runLabel: 'Run: {command}',
  stop: 'Stop',
  runAbove: 'Run all above',
  runAboveTitle: 'Run, in order, every block before this one that has not run yet',
  offlineTitle: 'The terminal is offline: blocks cannot run',
  status: {
    idle: 'Not run',
    queued: 'Queued',
    connecting: 'Connecting the terminal…',
    busy: 'Waiting for the terminal…',
    running: 'Running…',
    waiting: 'Waiting until ready…',
    elapsed: '{seconds} s',
    done: 'Done',
    expectedFailure: 'Expected failure',
    expectedFailureCode: 'Expected failure (exit status {code})',
    failed: 'Failed',
    failedExit: 'Failed: exit status {code}',
    failedExitWanted: 'Failed: exit status {code}, expected {wanted}',
    failedSucceeded: 'Failed: it succeeded, but it should fail here',
    failedNoStatus: 'Failed: no exit status',
    failedNoMatch: 'Failed: output did not match',
    expectTitle: 'The output should show: {expect}',
    timedOutRun: 'Timed out: not finished after {seconds} s',
    timedOutBusy: 'Timed out: the terminal was busy for {seconds} s',
    timedOutUntil: 'Timed out: not ready after {seconds} s',
    disconnected: 'Failed: the terminal is not connected',
    stopped: 'Stopped',
  },
  progress: {
    label: 'Progress of Run all above',
    running: 'Running {n} of {total}: {command}',
    done: 'Done: ran {total} blocks',
    nothing: 'Every block above has run',
    failed: 'Stopped at block {n} of {total}: {reason}',
    stopped: 'Stopped at block {n} of {total}',
    show: 'Show the block',
    stop: 'Stop',
    close: 'Close',
  },
  offline: {
    title: 'The terminal is offline',
    text: 'This page cannot reach a lab runner, so its blocks cannot run here (you can still copy them). To run them live, run `npm start` in the project and open the link it prints.',
    retry: 'Try again',
  },
};

/** Strings for a page language (a BCP-47 tag); Chinese variants get Chinese, the rest English. */
export function blockStrings(lang: string): BlockStrings {
  return lang.toLowerCase().startsWith('zh') ? zh : en;
}
