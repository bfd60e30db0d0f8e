// The card's look: HA's theme variables only, so light, dark and custom themes all apply.
import { css } from "lit";

export const cardStyles = css`
  :host {
    display: block;
    outline: none;
  }
  .content {
    padding: 0 16px 16px;
    display: flex;
    flex-direction: column;
    gap: 16px;
  }
  h2 {
    font-size: 1em;
    font-weight: 500;
    margin: 0;
  }
  .row {
    display: flex;
    align-items: center;
    gap: 8px;
    flex-wrap: wrap;
    margin-bottom: 8px;
  }
  .spacer {
    flex: 1;
  }
  .count,
  .hint,
  .keys,
  .meta {
    color: var(--secondary-text-color);
    font-size: 0.85em;
  }
  .hint {
    margin: 0;
  }
  .error {
    color: var(--error-color);
    margin: 0;
  }
  .empty {
    margin: 0;
    padding: 24px 0;
    text-align: center;
    color: var(--secondary-text-color);
    font-size: 1.1em;
  }
  button {
    font: inherit;
    color: var(--primary-text-color);
    background: var(--secondary-background-color);
    border: 1px solid var(--divider-color);
    border-radius: 18px;
    padding: 6px 14px;
    cursor: pointer;
  }
  button:focus-visible,
  :host(:focus-visible) .question {
    outline: 2px solid var(--primary-color);
    outline-offset: 2px;
  }
  .question {
    display: flex;
    gap: 16px;
    flex-wrap: wrap;
    border-radius: var(--ha-card-border-radius, 12px);
  }
  .frame {
    position: relative;
    flex: 1 1 260px;
    max-width: 480px;
  }
  .frame img {
    width: 100%;
    border-radius: 8px;
    display: block;
    background: var(--secondary-background-color);
  }
  .toggle {
    position: absolute;
    right: 8px;
    bottom: 8px;
    font-size: 0.8em;
    padding: 2px 10px;
    opacity: 0.9;
  }
  .ask {
    flex: 1 1 220px;
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
  .label {
    font-size: 1.4em;
    margin: 0;
  }
  .meta {
    margin: 0;
  }
  .score {
    font-weight: 500;
    color: var(--primary-text-color);
  }
  .buttons {
    display: flex;
    gap: 8px;
    flex-wrap: wrap;
  }
  .buttons button {
    flex: 1 1 auto;
    padding: 10px 16px;
  }
  .yes {
    background: var(--primary-color);
    color: var(--text-primary-color, #fff);
    border-color: var(--primary-color);
  }
  .no {
    color: var(--error-color);
    border-color: var(--error-color);
    background: transparent;
  }
  .keys {
    margin: 0;
  }
  .strip {
    display: flex;
    gap: 6px;
    overflow-x: auto;
    padding: 8px 2px 2px;
  }
  .thumb {
    padding: 0;
    border-radius: 6px;
    flex: 0 0 auto;
    border: 2px solid transparent;
    background: none;
  }
  .thumb.current {
    border-color: var(--primary-color);
  }
  .thumb img {
    width: 64px;
    height: 48px;
    object-fit: cover;
    border-radius: 4px;
    display: block;
  }
  .picker {
    display: flex;
    flex-direction: column;
    gap: 8px;
  }
  .chips,
  .tags {
    display: flex;
    gap: 6px;
    flex-wrap: wrap;
    align-items: baseline;
  }
  .chip {
    padding: 3px 12px;
    font-size: 0.9em;
  }
  .chip.on,
  .tag.on {
    background: var(--primary-color);
    color: var(--text-primary-color, #fff);
    border-color: var(--primary-color);
  }
  input,
  select {
    font: inherit;
    color: var(--primary-text-color);
    background: var(--card-background-color);
    border: 1px solid var(--divider-color);
    border-radius: 6px;
    padding: 8px;
  }
  .tag {
    border: none;
    background: none;
    padding: 2px 6px;
    line-height: 1.2;
  }
  .tag:hover {
    color: var(--primary-color);
  }
  .toast {
    display: flex;
    align-items: center;
    gap: 12px;
    justify-content: space-between;
    background: var(--primary-text-color);
    color: var(--card-background-color);
    border-radius: 8px;
    padding: 6px 8px 6px 16px;
  }
  .toast button {
    background: none;
    border: none;
    color: var(--primary-color);
    font-weight: 500;
    text-transform: uppercase;
  }
  .cell-frames {
    margin-top: 8px;
    border: 1px solid var(--divider-color);
    border-radius: 8px;
    padding: 8px 12px;
    font-size: 0.9em;
  }
  .cell-frames ul {
    margin: 0;
    padding: 0;
    list-style: none;
    max-height: 12em;
    overflow-y: auto;
  }
  .cell-frames li {
    display: flex;
    gap: 12px;
    flex-wrap: wrap;
    padding: 2px 0;
  }
  .cell-frames .top,
  .cell-frames .time {
    color: var(--secondary-text-color);
  }
  table {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.9em;
  }
  th {
    text-align: left;
    font-weight: 500;
    color: var(--secondary-text-color);
  }
  th,
  td {
    padding: 4px 6px 4px 0;
    border-bottom: 1px solid var(--divider-color);
  }
  .badge,
  .state {
    font-size: 0.8em;
    border-radius: 8px;
    padding: 1px 8px;
    background: var(--secondary-background-color);
    white-space: nowrap;
  }
  .state.active {
    background: var(--success-color, #43a047);
    color: var(--text-primary-color, #fff);
  }
  .state.shadow {
    background: var(--warning-color, #ffa600);
    color: var(--text-primary-color, #fff);
  }
  @media (max-width: 480px) {
    .content {
      padding: 0 12px 12px;
    }
    .keys {
      display: none;
    }
  }
`;
