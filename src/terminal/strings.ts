/**
 * Everything the lab terminal says to the reader, in the site's two languages. The Astro component
 * renders the placeholder with it at build time; the lazy terminal module uses it in the browser.
 */
import type { EndReason, PrepareStage } from '../protocol/wire.ts';

export type TerminalLang = 'zh-CN' | 'en';

/** Why the terminal stopped without being able to go on by itself. */
export type FailureKind =
  | 'unreachable' // the first socket failed: no token, a wrong one, or no runner
  | 'lost' // a live connection dropped and every retry failed
  | 'replaced' // another tab took over this terminal
  | 'session-gone' // a joining terminal's session has ended
  | 'capacity'
  | 'engine-unavailable'
  | 'sandbox-failed'
  | 'load-failed' // the terminal's own code could not be loaded
  | 'incompatible' // the runner sent something this page does not understand
  | 'internal';

export interface TerminalStrings {
  title: string;
  /** The main terminal's tab (the sandbox host's shell); other tabs are named by their terminal. */
  mainTab: string;
  tabsLabel: string;
  collapse: string;
  expand: string;
  resize: string;
  resetConfirm: string;
  start: string;
  startHint: string;
  screenLabel: string;
  reset: string;
  resetTitle: string;
  newSandbox: string;
  retry: string;
  useHere: string;
  state: {
    idle: string;
    offline: string;
    loading: string;
    connecting: string;
    preparing: (stage: PrepareStage) => string;
    live: (provider: 'dind' | 'host') => string;
    /** Seconds until the next attempt; 0 while an attempt is under way. */
    reconnecting: (seconds: number) => string;
    resetting: string;
    /** Short labels for the bar; the notice below the terminal says what happened. */
    ended: string;
    error: string;
  };
  ended: (reason: EndReason, exitCode: number | null) => string;
  failure: Record<FailureKind, string>;
  /** The page cannot reach a runner: how to go live (a page of blocks explains more above them). */
  offline: string;
  note: {
    trimmed: string;
    sessionGone: string;
    reset: string;
    /** The runner dropped input the shell was not reading (the session goes on). */
    inputDropped: string;
    /** In a second terminal whose shell exited (the session goes on). */
    shellExited: string;
  };
}

const zh: TerminalStrings = {
  title: '实验终端',
  mainTab: '主终端',
  tabsLabel: '沙箱里的终端',
  collapse: '收起终端',
  expand: '展开终端',
  resize: '调整终端高度',
  resetConfirm: '再点一次确认重置',
  start: '启动终端',
  startHint: '连接到只属于你的 Docker 沙箱，启动约需几秒钟。',
  screenLabel: '实验终端：连接到你的 Docker 沙箱的 shell',
  reset: '重置实验',
  resetTitle: '丢弃这个沙箱换一个全新的，并清除代码块的运行状态',
  newSandbox: '新建沙箱',
  retry: '重试',
  useHere: '在这里继续使用',
  state: {
    idle: '未启动',
    offline: '离线',
    loading: '正在加载终端…',
    connecting: '正在连接…',
    preparing: (stage) => ({ session: '正在准备沙箱…', creating: '正在创建沙箱…', 'starting-engine': '正在启动沙箱里的 Docker 引擎…', ready: '沙箱已就绪' })[stage],
    live: (provider) => (provider === 'host' ? '已连接（本机 shell）' : '已连接'),
    reconnecting: (seconds) => (seconds > 0 ? `连接中断，${seconds} 秒后重连…` : '连接中断，正在重连…'),
    resetting: '正在重置沙箱…',
    ended: '已结束',
    error: '未连接',
  },
  ended: (reason, exitCode) => {
    switch (reason) {
      case 'exit':
        return exitCode === null || exitCode === 0 ? 'shell 已退出，沙箱已关闭。' : `shell 已退出（状态 ${exitCode}），沙箱已关闭。`;
      case 'reset':
        return '沙箱已重置。';
      case 'idle':
        return '沙箱长时间没有输入，已被关闭。';
      case 'max-age':
        return '沙箱已到达最长使用时间，已被关闭。';
      case 'sandbox-lost':
        return '沙箱意外停止了。';
      case 'shutdown':
        return '实验服务已关闭。';
    }
  },
  failure: {
    unreachable: '未获授权，或连不上实验服务：请打开 `npm start` 打印出的链接。',
    lost: '与实验服务的连接已断开，多次重连都没有成功。如果服务重启过，请打开 `npm start` 新打印出的链接。',
    replaced: '这个终端已在另一个标签页中打开。',
    'session-gone': '这个终端所在的沙箱已经结束。',
    capacity: '实验室已满：所有沙箱都在使用中。请过几分钟再试。',
    'engine-unavailable': '实验服务的 Docker 引擎没有响应。请检查它是否在运行，然后重试。',
    'sandbox-failed': '沙箱没能启动。',
    'load-failed': '终端程序加载失败。请刷新页面重试。',
    incompatible: '实验服务的版本与本页面不一致。请刷新页面。',
    internal: '实验服务出错了。',
  },
  note: {
    trimmed: '[更早的输出已被截断]',
    sessionGone: '[之前的沙箱已结束（超时或服务重启），正在新建一个]',
    reset: '[沙箱已重置]',
    inputDropped: '[shell 没有在读输入，积压太多，部分输入被丢弃了。可以按 Ctrl-C 停止正在运行的命令]',
    shellExited: '[这个终端的 shell 已退出。按回车，或运行一个用到它的代码块，会打开一个新的 shell]',
  },
  offline: '连不上实验服务。要实时运行，在项目目录里运行 `npm start`，然后打开它打印出的链接。',
};

const en: TerminalStrings = {
  title: 'Lab terminal',
  mainTab: 'main',
  tabsLabel: 'Terminals in the sandbox',
  collapse: 'Collapse the terminal',
  expand: 'Expand the terminal',
  resize: 'Resize the terminal',
  resetConfirm: 'Reset? Click again',
  start: 'Start the terminal',
  startHint: 'Connects to a Docker sandbox of your own; it takes a few seconds to boot.',
  screenLabel: 'Lab terminal: a shell in your Docker sandbox',
  reset: 'Reset lab',
  resetTitle: 'Throw this sandbox away for a fresh one, and clear the blocks’ results',
  newSandbox: 'Start a new sandbox',
  retry: 'Try again',
  useHere: 'Use it here',
  state: {
    idle: 'Not started',
    offline: 'Offline',
    loading: 'Loading the terminal…',
    connecting: 'Connecting…',
    preparing: (stage) => ({ session: 'Preparing your sandbox…', creating: 'Creating your sandbox…', 'starting-engine': 'Starting its Docker engine…', ready: 'Sandbox ready' })[stage],
    live: (provider) => (provider === 'host' ? 'Connected (host shell)' : 'Connected'),
    reconnecting: (seconds) => (seconds > 0 ? `Connection lost, reconnecting in ${seconds} s…` : 'Connection lost, reconnecting…'),
    resetting: 'Resetting the sandbox…',
    ended: 'Ended',
    error: 'Not connected',
  },
  ended: (reason, exitCode) => {
    switch (reason) {
      case 'exit':
        return exitCode === null || exitCode === 0
          ? 'The shell exited and the sandbox was closed.'
          : `The shell exited (status ${exitCode}) and the sandbox was closed.`;
      case 'reset':
        return 'The sandbox was reset.';
      case 'idle':
        return 'The sandbox was closed after a long time without input.';
      case 'max-age':
        return 'The sandbox reached its time limit and was closed.';
      case 'sandbox-lost':
        return 'The sandbox stopped unexpectedly.';
      case 'shutdown':
        return 'The lab runner was shut down.';
    }
  },
  failure: {
    unreachable: 'Not authorised, or the lab runner is unreachable: open the link printed by `npm start`.',
    lost: 'The connection to the lab runner was lost and reconnecting did not work. If the runner was restarted, open the new link printed by `npm start`.',
    replaced: 'This terminal is open in another tab.',
    'session-gone': 'The sandbox this terminal belonged to has ended.',
    capacity: 'The lab is full right now: every sandbox is in use. Try again in a few minutes.',
    'engine-unavailable': 'The lab’s Docker engine is not answering. Check that it is running, then try again.',
    'sandbox-failed': 'Your sandbox could not be started.',
    'load-failed': 'The terminal could not be loaded. Reload the page to try again.',
    incompatible: 'The lab runner is a different version from this page. Reload the page.',
    internal: 'Something went wrong in the lab runner.',
  },
  note: {
    trimmed: '[earlier output was trimmed]',
    sessionGone: '[the previous sandbox has ended (timed out, or the runner restarted); starting a new one]',
    reset: '[the sandbox was reset]',
    inputDropped: '[the shell is not reading its input and too much piled up, so some of it was dropped; Ctrl-C stops the running command]',
    shellExited: '[the shell of this terminal exited; press Enter, or run a block that uses it, for a new one]',
  },
  offline: 'No lab runner answers. To go live, run `npm start` in the project and open the link it prints.',
};

/** Strings for a page language (a BCP-47 tag); Chinese variants get Chinese, the rest English. */
export function terminalStrings(lang: string): TerminalStrings {
  return lang.toLowerCase().startsWith('zh') ? zh : en;
}
