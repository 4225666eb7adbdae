export function Brand() {
  return (
    <div className="brand">
      <img src="/favicon.svg" alt="" width="32" height="32" />
      <span className="brand-name">Sealroom</span>
    </div>
  );
}
