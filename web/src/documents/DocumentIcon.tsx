import { Icon } from '../components/icons';

/** A page with a folded corner; the shared stroke icon frame, kept in the documents chunk. */
export function DocumentIcon({ size = 18 }: { size?: number }) {
  return (
    <Icon size={size}>
      <path d="M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8z" />
      <path d="M14 2v6h6M8 13h8M8 17h5" />
    </Icon>
  );
}
